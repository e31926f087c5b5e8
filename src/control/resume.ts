/**
 * Resuming a run that failed on infrastructure (`RESUMABLE_FAILURES`: an outage past a step's
 * retries, or another fault outside the machine): a new Workflow instance for the same run
 * (`<id>_R<n>`, since Workflows never reuse an instance id) starts from the machine state and
 * context the run's last completed step recorded. Steps already done stay done — their events,
 * gate decisions, deploys and DNS changes are in D1 and the world, not run again — and the
 * step that failed runs again under its old name and idempotency key, so nothing is created
 * twice. A run the loop itself ended, a running one, or one whose invariant broke is refused.
 */
import type { Env } from "../env.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import { plainJob } from "../jobs/plain.ts";
import { type RunParams, workflowInstanceId } from "../jobs/run-params.ts";
import { deliverDecision } from "../gates/deliver.ts";
import { currentEffect } from "../loop/effect-of.ts";
import { gateKindOf, isGateEffect } from "../loop/effects.ts";
import { restoreSnapshot, unrestorable } from "../loop/restore.ts";
import type { LoopContext } from "../loop/types.ts";
import { failedOnInfrastructure, gateId, RESUMABLE_FAILURES } from "../ports/vocabulary.ts";
import { getGate } from "../store/gates.ts";
import type { RunRow } from "../store/rows.ts";
import { reopenAbortedRun, undoReopen } from "../store/run-transitions.ts";
import { getRun } from "../store/runs.ts";

/** Why a run cannot be resumed: `not_failed` (running, or ended otherwise), `not_resumable` (it failed, but not on infrastructure). */
export type ResumeRefusal = { code: "not_failed" | "not_resumable"; message: string };

export type ResumeResult =
  | { ok: true; runId: string; instanceId: string; resumes: number; state: string }
  | { ok: false; code: "not_found"; message: string }
  | ({ ok: false } & ResumeRefusal)
  | { ok: false; code: "conflict" | "unavailable"; message: string };

/** Pure: why `run` cannot be resumed, or null when it can (the API, the CLI and the inbox ask this). */
export function resumeRefusal(
  run: Pick<
    RunRow,
    "id" | "status" | "state" | "outcome_json" | "aborted_in" | "context_json" | "cancel_requested_at"
  >,
): ResumeRefusal | null {
  const outcome = run.outcome_json as { code?: string | null; reason?: string } | null;
  if (run.status !== "final")
    return {
      code: "not_failed",
      message: `run ${run.id} is still ${run.status} (${run.state}): only a run that failed on infrastructure can be resumed`,
    };
  if (!failedOnInfrastructure(run.state, outcome?.code))
    return {
      code: run.state === "failed" ? "not_resumable" : "not_failed",
      message:
        run.state === "failed"
          ? `run ${run.id} failed by the loop's own decision or a broken invariant (${outcome?.code ?? "no code"}: ${outcome?.reason ?? "no reason"}), not on infrastructure (${RESUMABLE_FAILURES.join(", ")}); start a new run instead`
          : `run ${run.id} ended ${run.state}: only a run that failed on infrastructure can be resumed`,
    };
  if (run.cancel_requested_at !== null)
    return {
      code: "not_resumable",
      message: `run ${run.id} was being cancelled when it failed; start a new run instead`,
    };
  const why =
    run.aborted_in === null
      ? "the state it failed in was not recorded"
      : unrestorable(run.aborted_in, run.context_json);
  if (why) return { code: "not_resumable", message: `run ${run.id} cannot be resumed: ${why}` };
  return null;
}

export async function resumeRun(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  registry: JobRegistry,
  request: { runId: string; by: string; at: number },
): Promise<ResumeResult> {
  const { runId, by, at } = request;
  const run = await getRun(env.DB, runId);
  if (!run) return { ok: false, code: "not_found", message: `no run ${runId}` };
  const refusal = resumeRefusal(run);
  if (refusal) return { ok: false, ...refusal };
  const job = registry.jobs.get(run.job);
  if (!job)
    return { ok: false, code: "not_found", message: `the job "${run.job}" of run ${runId} no longer exists` };
  const state = run.aborted_in as string;
  const resumes = run.resumes + 1;
  const failedAt = run.updated_at;
  const rollbackOf = (run.input_json as { rollbackOf?: unknown } | null)?.rollbackOf;
  if (!(await reopenAbortedRun(env.DB, { runId, resumes, at })))
    return { ok: false, code: "conflict", message: `run ${runId} is being resumed already` };
  const params: RunParams = {
    runId,
    job: plainJob(job),
    input: run.input_json,
    trigger: run.trigger,
    startedAt: run.created_at,
    ...(typeof rollbackOf === "string" ? { rollbackOf } : {}),
    resumed: {
      count: resumes,
      by,
      at,
      state,
      context: run.context_json,
      failure: run.outcome_json,
      stoppedMs: Math.max(0, at - failedAt),
    },
  };
  const instanceId = workflowInstanceId(runId, resumes);
  try {
    await env.RUN_WORKFLOW.create({ id: instanceId, params });
  } catch (error) {
    // Created by an earlier call whose answer was lost: that instance runs the resume.
    if (error instanceof Error && /already[_ ]exists/i.test(error.message))
      return { ok: true, runId, instanceId, resumes, state };
    // No instance, no resume: the row lies failed as it did, and may be resumed again.
    await undoReopen(env.DB, { runId, resumes, state, outcome: run.outcome_json, at });
    return {
      ok: false,
      code: "unavailable",
      message: error instanceof Error ? error.message : String(error),
    };
  }
  // `run.resumed` is the new instance's first step (src/run/workflow.ts): on the timeline before
  // anything it does, and only when it runs.
  await redeliverCurrentGate(env, runId, state, run.context_json);
  return { ok: true, runId, instanceId, resumes, state };
}

/**
 * A run that failed while settling a gate resumes at that gate: when it was decided already, its
 * decision went to the instance that failed, so it goes to the new one too (the gate row is the
 * truth; the new instance opens the same row, waits, and settles from it).
 */
async function redeliverCurrentGate(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  runId: string,
  state: string,
  context: unknown,
): Promise<void> {
  const effect = currentEffect(restoreSnapshot(state, context as LoopContext, 0));
  if (!effect || !isGateEffect(effect.kind)) return;
  const gate = await getGate(env.DB, gateId(runId, gateKindOf(effect.kind), effect.seq));
  if (gate && gate.status !== "pending") await deliverDecision(env, gate);
}
