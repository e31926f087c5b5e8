/**
 * Saying in the timeline what a run waits for when a step meets an outage: once per step
 * (audit events are unique per run, step and type), then the step's own retries hold the
 * run until the dependency answers again (src/run/step-policy.ts).
 */
import type { StepName } from "../loop/step-names.ts";
import type { AbortCode } from "../ports/vocabulary.ts";
import type { StepRunner } from "./driver.ts";
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

/** What ended a run outside the machine: the outcome code (`ABORT_CODES`), why, and what was away. */
export interface AbortFault {
  code: AbortCode;
  message: string;
  /** For an outage: what was not answering. */
  on: string | null;
}

/** The last step that threw, as seen inside it (where the error still has its class). */
export interface StepFault {
  step: string;
  on: string | null;
  invariant: boolean;
}

/** Workflows' own name for a fault it does not retry; it survives the error crossing RPC. */
function isNonRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === "NonRetryableError" || /NonRetryableError/.test(error.message);
}

/**
 * Wraps a runner so each step's thrown error is classified where it is thrown: the error that
 * comes out of `step.do` after the retries has crossed the engine and lost its class, so
 * `outageOf` can no longer tell. A step replayed from the engine's record (no attempt runs)
 * leaves nothing, and its fault counts as a `workflow_error`.
 */
export function watchFaults(runner: StepRunner): { runner: StepRunner; last(): StepFault | null } {
  let last: StepFault | null = null;
  return {
    runner: {
      ...runner,
      do: (name, policy, fn) =>
        runner.do(name, policy, async () => {
          try {
            const value = await fn();
            last = null;
            return value;
          } catch (error) {
            last = { step: name, on: outageOf(error), invariant: isNonRetryable(error) };
            throw error;
          }
        }),
    },
    last: () => last,
  };
}

/** Pure: what a fault that ended the run was, from the error and the last step's own view of it. */
export function abortFaultOf(error: unknown, last: StepFault | null): AbortFault {
  const message = error instanceof Error ? error.message : String(error);
  if (last?.invariant || isNonRetryable(error)) return { code: "invariant_broken", message, on: null };
  if (last?.on) return { code: "outage", message, on: last.on };
  return { code: "workflow_error", message, on: null };
}
