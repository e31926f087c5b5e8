/**
 * Which durable sleep comes before an effect's step: the driver sleeps it, and
 * the journal of the step before records when it ends (the sweeper wakes a run
 * whose engine forgot the sleep). One rule, so the two never disagree. Pure.
 */
import type { EffectKind } from "./effects.ts";
import type { StepPhase } from "./step-names.ts";

export interface SleepDurations {
  /** After a deploy, before verifying (propagation); 0 for none. */
  settleMs: number;
  /** Before looking again whether an approved claim happened. */
  claimPollMs: number;
}

export interface SleepBefore {
  phase: Extract<StepPhase, "propagation" | "pause">;
  ms: number;
}

/** The sleep before `effect` runs from a state with `context`, or null when it runs at once. */
export function sleepBefore(
  effect: { kind: EffectKind },
  context: { claimPending: boolean },
  durations: SleepDurations,
): SleepBefore | null {
  if (effect.kind === "verify")
    return durations.settleMs > 0 ? { phase: "propagation", ms: durations.settleMs } : null;
  if (effect.kind === "promote" && context.claimPending) return { phase: "pause", ms: durations.claimPollMs };
  return null;
}
