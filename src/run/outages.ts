/**
 * Saying in the timeline what a run waits for when a step meets an outage: once per step
 * (audit events are unique per run, step and type), then the step's own retries hold the
 * run until the dependency answers again (src/run/step-policy.ts).
 */
import type { StepName } from "../loop/step-names.ts";
import { OutageError } from "../ports/outage.ts";
import { isSandboxError, RETRYABLE_SANDBOX_ERRORS } from "../ports/sandbox.ts";
import { appendEvent } from "../store/events.ts";
import type { RunEnv } from "./run-env.ts";

/** Pure: what is not answering, when `error` is an outage rather than a fault of the run. */
export function outageOf(error: unknown): string | null {
  if (error instanceof OutageError) return error.dependency;
  if (isSandboxError(error) && RETRYABLE_SANDBOX_ERRORS.has(error.code)) return "the Sandbox host";
  return null;
}

/** Records `run.waiting` for an outage (never failing the step itself), then lets the error go on. */
export async function noteOutage(env: RunEnv, step: StepName, error: unknown): Promise<void> {
  const on = outageOf(error);
  if (!on) return;
  await appendEvent(env.db, {
    runId: env.runId,
    step,
    type: "run.waiting",
    actor: "system",
    data: { on, message: error instanceof Error ? error.message.slice(0, 500) : String(error) },
    at: env.ports.clock.now(),
  }).catch(() => undefined);
}
