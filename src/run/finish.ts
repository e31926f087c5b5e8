/**
 * Closing a run: the final row (already written by the last journal entry) and
 * one notification: `run.failed` (with the reason) when the run ended in a
 * failure state or was aborted by a fault, `run.finished` otherwise. Rejected
 * and cancelled runs are people's own decisions, so they are "finished", not
 * "failed". Keyed by the step (`<run>:finish`, `<run>:abort`): sent once.
 */
import type { LoopSnapshot } from "../loop/effect-of.ts";
import { stateName } from "../loop/effect-of.ts";
import { appendEvent } from "../store/events.ts";
import { markRunAborted, markRunFinal } from "../store/run-transitions.ts";
import type { RunEnv } from "./run-env.ts";
import { idempotencyKey } from "../ports/vocabulary.ts";
import { FINISH_STEP, type StepName } from "../loop/step-names.ts";
import { failedOnInfrastructure } from "../ports/vocabulary.ts";
import type { AbortFault } from "./outages.ts";

/**
 * Final states announced as `run.failed`. Wider than the states that pause a job
 * (src/triggers/policy.ts): an expired run did not fail by itself, but someone
 * should hear that nobody decided in time.
 */
export const FAILURE_STATES: ReadonlySet<string> = new Set(["failed", "budgetExhausted", "expired"]);

/** A reason for a chat message: one paragraph, bounded (an error message can be long). */
function brief(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 500 ? `${line.slice(0, 499)}…` : line;
}

export async function finishRun(env: RunEnv, snapshot: LoopSnapshot): Promise<void> {
  const state = stateName(snapshot);
  const outcome = snapshot.context.outcome;
  const at = env.ports.clock.now();
  await markRunFinal(env.db, env.runId, state, at);
  await appendEvent(env.db, {
    runId: env.runId,
    step: FINISH_STEP,
    type: "run.finished",
    actor: "system",
    toState: state,
    data: { outcome },
    at,
  });
  const failed = FAILURE_STATES.has(state);
  await env.ports.notifier.notify({
    idempotencyKey: idempotencyKey(env.runId, FINISH_STEP),
    runId: env.runId,
    kind: failed ? "run.failed" : "run.finished",
    title: failed ? `${env.job.name}: run ${env.runId} failed (${state})` : `${env.job.name}: run ${state}`,
    body: brief(outcome?.reason ?? state),
    links: [],
  });
}

/**
 * Records a fault that ended the run: `failed` with the fault's code, the state it was in kept
 * for a resume (`markRunAborted`), `run.aborted` and one notification, under the abort step
 * of this instance (`abortStep`), so a resumed run that fails again says so again.
 */
export async function abortRun(env: RunEnv, fault: AbortFault, step: StepName): Promise<void> {
  const at = env.ports.clock.now();
  const outcome = { reason: fault.message, code: fault.code };
  const abortedIn = await markRunAborted(env.db, env.runId, outcome, at);
  const resumable = abortedIn !== null && failedOnInfrastructure("failed", fault.code);
  await appendEvent(env.db, {
    runId: env.runId,
    step,
    type: "run.aborted",
    actor: "system",
    toState: "failed",
    data: { outcome, ...(fault.on ? { on: fault.on } : {}), abortedIn, resumable },
    at,
  });
  await env.ports.notifier.notify({
    idempotencyKey: idempotencyKey(env.runId, step),
    runId: env.runId,
    kind: "run.failed",
    title: `${env.job.name}: run ${env.runId} failed (aborted)`,
    body: brief(
      resumable
        ? `${fault.message} — it can be resumed from ${abortedIn}: nightshift resume ${env.runId}`
        : fault.message,
    ),
    links: [],
  });
}
