/**
 * Running a finished run again: a new run of the same job with the same input, started by a
 * person (as "Re-run" does in CI systems). Unlike resume it starts from the beginning, so it
 * works for any final run (failed, rejected, cancelled, succeeded); the job is read from the
 * registry as it is now. The new run's `run.started` names the run it repeats. A run still
 * going is refused: two runs of one change side by side are rarely what is meant.
 */
import type { Env } from "../env.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import { getRun } from "../store/runs.ts";
import { newRunId, startRun } from "./start.ts";

export type RerunResult =
  | { ok: true; runId: string; rerunOf: string }
  | { ok: false; code: "not_found" | "not_final" | "no_job" | "duplicate" | "unavailable"; message: string };

export async function rerunRun(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  registry: JobRegistry,
  request: { runId: string; newId?: string | undefined; by: string; at: number },
): Promise<RerunResult> {
  const run = await getRun(env.DB, request.runId);
  if (!run) return { ok: false, code: "not_found", message: `no run "${request.runId}"` };
  if (run.status !== "final")
    return {
      ok: false,
      code: "not_final",
      message: `run "${run.id}" is ${run.status} (${run.state}); cancel it or wait for it to end before running it again`,
    };
  const job = registry.jobs.get(run.job);
  if (!job)
    return { ok: false, code: "no_job", message: `the job "${run.job}" of run "${run.id}" no longer exists` };
  const runId = request.newId ?? newRunId(job.name, request.at);
  const started = await startRun(env, {
    job,
    runId,
    input: run.input_json ?? {},
    trigger: "api",
    actor: request.by,
    at: request.at,
    details: { rerunOf: run.id },
  });
  if (started.ok) return { ok: true, runId, rerunOf: run.id };
  if (started.code === "duplicate")
    return { ok: false, code: "duplicate", message: `run "${runId}" already exists` };
  return { ok: false, code: "unavailable", message: started.message };
}
