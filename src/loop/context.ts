/**
 * Pure bookkeeping over the loop context: the initial context from input, and
 * what a work event adds to the spent counters. Guards and actions share it so
 * a guard sees exactly the context the transition will produce.
 */
import type { LoopContext, LoopEvent, LoopInput } from "./types.ts";

export function initialContext(input: LoopInput): LoopContext {
  return {
    runId: input.runId,
    startedAt: input.startedAt,
    now: input.startedAt,
    budgets: input.budgets,
    spent: { iterations: 0, deploys: 0, tokens: 0, costUsd: 0, sandboxMs: 0 },
    seq: {},
    tosSignedOff: input.tosSignedOff,
    promotion: input.promotion,
    dns: input.dns,
    gateTimeoutsMs: input.gateTimeoutsMs,
    snapshotId: null,
    verifiedSnapshotId: null,
    verifiedVersionId: null,
    promotedVersionId: null,
    voided: [],
    account: null,
    deploymentUrl: null,
    reportRef: null,
    freshAccount: false,
    promotedUrl: null,
    claimPending: false,
    dnsPlanRef: null,
    rollbackOf: input.rollbackOf ?? null,
    gates: [],
    outcome: null,
  };
}

/** The context with the event's time and resource usage applied. */
export function absorb(ctx: LoopContext, event: LoopEvent): LoopContext {
  const spent = { ...ctx.spent };
  if ("sandboxMs" in event) spent.sandboxMs += event.sandboxMs;
  if ("usage" in event) {
    spent.tokens += event.usage.tokens;
    spent.costUsd = roundCost(spent.costUsd + event.usage.costUsd);
  }
  return { ...ctx, now: Math.max(ctx.now, event.at), spent };
}

/** Costs add up in floating point; keep them at micro-dollar precision so guards compare sanely. */
function roundCost(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
