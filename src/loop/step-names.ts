/**
 * Step names: the one function that turns an effect into the name of its
 * durable step. The local Workflows engine caches a step by a hash of its name
 * plus how often that name was used, so names must be deterministic and unique
 * within a run: `deploy#3`, `gate:claim#1`, `gate:claim#1/open`. Pure.
 */
import type { EffectKind } from "./effects.ts";

export type StepName = string & { readonly __brand: "StepName" };

/**
 * Sub-steps of an effect: a gate opens, waits and settles; a deploy waits for propagation
 * before verify; a promotion waiting for a claim pauses before it looks again.
 */
export type StepPhase = "open" | "settle" | "propagation" | "pause";

export function stepName(effect: { kind: EffectKind; seq: number }, phase?: StepPhase): StepName {
  if (!Number.isInteger(effect.seq) || effect.seq < 1) throw new Error(`bad effect sequence ${effect.seq}`);
  const base = `${effect.kind}#${effect.seq}`;
  return (phase ? `${base}/${phase}` : base) as StepName;
}

/** The step that closes a run once the machine is final. */
export const FINISH_STEP = "finish" as StepName;

/** The step that records a run ended by a fault no step could recover from. */
export const ABORT_STEP = "abort" as StepName;

/**
 * The abort step of a run's instance: `abort` for the first, `abort#2` after one resume…, so a
 * resumed run that fails again records (and notifies) that failure too.
 */
export function abortStep(resumes: number): StepName {
  return (resumes === 0 ? ABORT_STEP : `abort#${resumes + 1}`) as StepName;
}

/** The step that reads what the machine needs to start (sign-offs on record). */
export const INIT_STEP = "init" as StepName;

/** The first step of a resumed run's instance: it records `run.resumed` (src/control/resume.ts). */
export function resumeStep(resumes: number): StepName {
  return `resume#${resumes}` as StepName;
}
