/**
 * Starting a rollback: a new run of the same job that applies the inverse of
 * the DNS change another run made, behind its own `rollback` gate. The
 * original run recorded that inverse when it applied its plan; without one
 * there is nothing to undo. The rollback run's id is derived from the
 * original's unless the caller names one, so a repeated request cannot start
 * two rollbacks.
 */
import type { Env } from "../env.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import { rollbackRefOf } from "../run/perform-promotion.ts";
import { getArtifact } from "../store/artifacts.ts";
import { getRun } from "../store/runs.ts";
import { type StartResult, startRun } from "./start.ts";

export type RollbackResult =
  | StartResult
  | { ok: false; code: "not_found" | "nothing_to_undo" | "still_running"; runId: string; message: string };

export function rollbackRunId(of: string): string {
  return `rollback-${of}`.slice(0, 60).replace(/[-_]+$/, "");
}

export async function startRollback(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  registry: JobRegistry,
  request: { of: string; runId?: string; actor: string; at: number },
): Promise<RollbackResult> {
  const { of } = request;
  const runId = request.runId ?? rollbackRunId(of);
  const original = await getRun(env.DB, of);
  if (!original) return { ok: false, code: "not_found", runId, message: `no run ${of}` };
  if (original.status !== "final")
    return {
      ok: false,
      code: "still_running",
      runId,
      message: `run ${of} has not ended (${original.state}); cancel it or wait before rolling back`,
    };
  if (!(await getArtifact(env.DB, rollbackRefOf(of))))
    return {
      ok: false,
      code: "nothing_to_undo",
      runId,
      message: `run ${of} recorded no DNS change to roll back`,
    };
  const job = registry.jobs.get(original.job);
  if (!job)
    return {
      ok: false,
      code: "not_found",
      runId,
      message: `the job "${original.job}" of run ${of} no longer exists`,
    };
  return startRun(env, {
    job,
    runId,
    input: { rollbackOf: of },
    trigger: "rollback",
    actor: request.actor,
    at: request.at,
    details: { rollbackOf: of },
    rollbackOf: of,
  });
}
