/** Closing a run: the final row (already written by the last journal entry) and a notification. */
import type { LoopSnapshot } from "../loop/effect-of.ts";
import { stateName } from "../loop/effect-of.ts";
import { appendEvent } from "../store/events.ts";
import type { RunEnv } from "./run-env.ts";
import { ABORT_STEP, FINISH_STEP, idempotencyKey } from "./step-names.ts";

export async function finishRun(env: RunEnv, snapshot: LoopSnapshot): Promise<void> {
  const state = stateName(snapshot);
  const outcome = snapshot.context.outcome;
  const at = env.ports.clock.now();
  await env.db
    .prepare(
      `UPDATE runs SET status = 'final', state = ?2, wake_at = NULL, updated_at = MAX(updated_at, ?3) WHERE id = ?1`,
    )
    .bind(env.runId, state, at)
    .run();
  await appendEvent(env.db, {
    runId: env.runId,
    step: FINISH_STEP,
    type: "run.finished",
    actor: "system",
    toState: state,
    data: { outcome },
    at,
  });
  await env.ports.notifier.notify({
    idempotencyKey: idempotencyKey(env.runId, FINISH_STEP),
    runId: env.runId,
    kind: "run.finished",
    title: `${env.job.name}: run ${state}`,
    body: outcome?.reason ?? state,
    links: [],
  });
}

export async function abortRun(env: RunEnv, message: string): Promise<void> {
  const at = env.ports.clock.now();
  const outcome = { reason: message, code: "workflow_error" };
  await env.db
    .prepare(
      `UPDATE runs SET status = 'final', state = 'failed', outcome_json = ?2, wake_at = NULL, updated_at = MAX(updated_at, ?3)
       WHERE id = ?1 AND status != 'final'`,
    )
    .bind(env.runId, JSON.stringify(outcome), at)
    .run();
  await appendEvent(env.db, {
    runId: env.runId,
    step: ABORT_STEP,
    type: "run.aborted",
    actor: "system",
    toState: "failed",
    data: { outcome },
    at,
  });
}
