/** Building machine inputs and events for the machine tests. */
import { initialTransition, transition } from "xstate";
import { currentEffect, type LoopSnapshot, stateName } from "../../src/loop/effect-of.ts";
import { loopMachine } from "../../src/loop/machine.ts";
import type { LoopEvent, LoopInput } from "../../src/loop/types.ts";

export const T0 = Date.UTC(2026, 10, 23, 2, 0, 0);
export const HOUR = 3_600_000;

export function input(
  over: Omit<Partial<LoopInput>, "budgets"> & { budgets?: Partial<LoopInput["budgets"]> } = {},
): LoopInput {
  return {
    runId: "run-1",
    startedAt: T0,
    tosSignedOff: true,
    promotion: "claim",
    dns: false,
    gateTimeoutsMs: { tos: HOUR, claim: HOUR, dns: HOUR, rollback: HOUR },
    ...over,
    budgets: {
      maxIterations: 3,
      maxDeploys: 6,
      deadlineAt: T0 + HOUR,
      maxTokens: 100_000,
      maxCostUsd: 5,
      maxSandboxMs: HOUR,
      ...over.budgets,
    },
  };
}

export function start(i: LoopInput = input()): LoopSnapshot {
  return initialTransition(loopMachine, i)[0];
}

export function step(s: LoopSnapshot, e: LoopEvent): LoopSnapshot {
  return transition(loopMachine, s, e)[0];
}

/** Applies events in order; returns the final snapshot and the effects named along the way. */
export function run(s: LoopSnapshot, events: LoopEvent[]): { snapshot: LoopSnapshot; effects: string[] } {
  const effects: string[] = [];
  let snap = s;
  for (const e of events) {
    const eff = currentEffect(snap);
    if (eff) effects.push(`${eff.kind}#${eff.seq}`);
    snap = step(snap, e);
  }
  return { snapshot: snap, effects };
}

export const ev = {
  prepared: (at = T0 + 1000): LoopEvent => ({
    type: "prepare.done",
    snapshotId: "snap-prep",
    sandboxMs: 1000,
    at,
  }),
  written: (n: number, at = T0 + 2000, usage = { tokens: 1000, costUsd: 0.01 }): LoopEvent => ({
    type: "write.done",
    snapshotId: `snap-w${n}`,
    usage,
    sandboxMs: 1000,
    at,
  }),
  deployed: (at = T0 + 3000, expiresAt = T0 + HOUR): LoopEvent => ({
    type: "deploy.done",
    url: "https://w.acct.workers.dev",
    account: { id: "acct", claimUrl: "https://claim/acct", expiresAt, claimExpiresAt: expiresAt },
    sandboxMs: 1000,
    at,
  }),
  deployFailed: (code: string, at = T0 + 3000): LoopEvent => ({
    type: "deploy.failed",
    error: { code, message: code },
    reportRef: "log-ref",
    sandboxMs: 1000,
    at,
  }),
  passed: (at = T0 + 4000): LoopEvent => ({ type: "verify.passed", reportRef: "rep-ok", sandboxMs: 100, at }),
  failed: (at = T0 + 4000): LoopEvent => ({
    type: "verify.failed",
    reportRef: "rep-bad",
    sandboxMs: 100,
    at,
  }),
  approve: (gate: "tos" | "claim" | "dns" | "rollback", at = T0 + 5000): LoopEvent => ({
    type: "gate.approved",
    gate,
    by: "approver-1",
    reason: null,
    at,
  }),
  reject: (gate: "tos" | "claim" | "dns", at = T0 + 5000): LoopEvent => ({
    type: "gate.rejected",
    gate,
    by: "approver-1",
    reason: "no",
    at,
  }),
  timeout: (gate: "tos" | "claim" | "dns", at = T0 + 5000): LoopEvent => ({
    type: "gate.timedOut",
    gate,
    at,
  }),
  promoted: (at = T0 + 6000): LoopEvent => ({ type: "promote.done", url: "https://w.acct.workers.dev", at }),
  dnsApplied: (at = T0 + 7000): LoopEvent => ({ type: "dns.applied", rollbackRef: "rb", at }),
  dnsPlanned: (changes = 1, blocked: string | null = null, at = T0 + 6500): LoopEvent => ({
    type: "dns.planned",
    planRef: "plan",
    changes,
    blocked,
    at,
  }),
  cancel: (at = T0 + 5000): LoopEvent => ({ type: "run.cancelled", by: "approver-1", at }),
};

export { stateName };
