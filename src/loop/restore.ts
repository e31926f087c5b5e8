/**
 * Restoring the machine where a run stopped: a run that failed on infrastructure resumes from
 * the state and context its last completed step recorded (the run row, written by the journal in
 * the same batch as that step's audit event). Entry actions do not run again — the context
 * already counts the entry — so the next step has the name, and the idempotency key, it would
 * have had without the fault. Pure.
 */
import type { LoopSnapshot } from "./effect-of.ts";
import { currentEffect } from "./effect-of.ts";
import { loopMachine } from "./machine.ts";
import type { LoopContext } from "./types.ts";

/** Why a recorded state and context cannot be resumed from, or null when they can. */
export function unrestorable(state: string, context: unknown): string | null {
  const node = (loopMachine.states as Record<string, { meta?: { effect?: string } }>)[state];
  if (!node) return `"${state}" is not a state of the loop`;
  if (!node.meta?.effect) return `state "${state}" names no step to resume at`;
  const ctx = context as Partial<LoopContext> | null;
  if (!ctx || typeof ctx !== "object" || !ctx.budgets || !ctx.spent || !ctx.seq)
    return "no machine context was recorded for the run";
  return null;
}

/**
 * The snapshot the run was in, with the wall-clock deadline moved on by the time the run lay
 * failed (`stoppedMs`): the budgets go on counting from where they were, the spent ones with
 * them, and the time nobody could work on it is not charged to it.
 */
export function restoreSnapshot(state: string, context: LoopContext, stoppedMs: number): LoopSnapshot {
  const why = unrestorable(state, context);
  if (why) throw new Error(`cannot resume: ${why}`);
  const budgets = { ...context.budgets, deadlineAt: context.budgets.deadlineAt + Math.max(0, stoppedMs) };
  const snapshot = loopMachine.resolveState({ value: state, context: { ...context, budgets } });
  if (!currentEffect(snapshot)) throw new Error(`cannot resume: state "${state}" is final`);
  return snapshot;
}
