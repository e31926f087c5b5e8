/**
 * What the function performing one work effect gets (perform.ts dispatches to
 * one per effect kind), and the timing line each port call prints.
 */
import type { LoopContext } from "../loop/types.ts";
import type { StepName } from "../loop/step-names.ts";
import type { Sandbox } from "../ports/sandbox.ts";
import type { IdempotencyKey } from "../ports/vocabulary.ts";
import type { RunEnv } from "./run-env.ts";

export interface Work {
  env: RunEnv;
  /** The durable step this work runs in, and the idempotency key of every creating call in it. */
  name: StepName;
  key: IdempotencyKey;
  /** The run's Sandbox. */
  sandbox: Sandbox;
  ctx: LoopContext;
  /** The artifact read with the cancel check (a fix round's report), or null. */
  artifact: string | null;
  /** Milliseconds since this step's work began. */
  elapsed: () => number;
}

/**
 * Runs one port call and prints how long it took (`nightshift timing <run> <step> <what> <ms>`):
 * non-durable, for operators and the loop benchmark (bench/loop.ts), which subtracts these
 * from a loop iteration to find the orchestration's own share.
 */
export async function timed<T>(
  runId: string,
  step: StepName,
  what: string,
  call: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  try {
    return await call();
  } finally {
    console.log(`nightshift timing ${runId} ${step} ${what} ${Date.now() - started}`);
  }
}
