/**
 * Every path of the machine ends in a final state. The paths are generated:
 * a breadth-first walk over every reachable snapshot, feeding each state every
 * outcome its effect can produce (success, each failure code, late and timely
 * gate decisions, cancellation), for several kinds of job.
 */
import { describe, expect, it } from "vitest";
import { currentEffect, type LoopSnapshot } from "../../src/loop/effect-of.ts";
import { FINAL_STATES } from "../../src/ports/vocabulary.ts";
import type { LoopEvent, LoopInput } from "../../src/loop/types.ts";
import { HOUR, input, start, stateName, step, T0 } from "./helpers.ts";

const AT = T0 + 1_000;
const LATE = T0 + 2 * HOUR;

function outcomes(s: LoopSnapshot): LoopEvent[] {
  const eff = currentEffect(s);
  if (!eff) return [];
  const cancel: LoopEvent = { type: "run.cancelled", by: "approver-1", at: AT };
  const failure = (code: string) => ({ code, message: code });
  const account = { id: "a", claimUrl: "https://claim/a", expiresAt: T0 + HOUR, claimExpiresAt: T0 + HOUR };
  switch (eff.kind) {
    case "prepare":
      return [
        { type: "prepare.done", snapshotId: "p", sandboxMs: 0, at: AT },
        { type: "prepare.failed", error: failure("setup_failed"), sandboxMs: 0, at: AT },
        cancel,
      ];
    case "write":
    case "fix":
      return [
        {
          type: "write.done",
          snapshotId: `w${eff.seq}`,
          usage: { tokens: 10, costUsd: 0 },
          sandboxMs: 0,
          at: AT,
        },
        {
          type: "write.failed",
          error: failure("agent_failed"),
          usage: { tokens: 0, costUsd: 0 },
          sandboxMs: 0,
          at: AT,
        },
        cancel,
      ];
    case "deploy":
      return [
        { type: "deploy.done", url: "https://w.a.workers.dev", account, sandboxMs: 0, at: AT },
        ...["build_error", "account_expired", "tos_required", "upload_rejected"].map(
          (code): LoopEvent => ({
            type: "deploy.failed",
            error: failure(code),
            reportRef: null,
            sandboxMs: 0,
            at: AT,
          }),
        ),
        cancel,
      ];
    case "verify":
      return [
        { type: "verify.passed", reportRef: "r", sandboxMs: 0, at: AT },
        { type: "verify.failed", reportRef: "r", sandboxMs: 0, at: AT },
        cancel,
      ];
    case "promote":
      return [
        { type: "promote.done", url: "https://w.a.workers.dev", at: AT },
        { type: "promote.failed", error: failure("account_expired"), at: AT },
        { type: "promote.failed", error: failure("deploy_failed"), at: AT },
        { type: "promote.pending", how: "not claimed yet", at: AT },
        cancel,
      ];
    case "planDns":
      return [
        { type: "dns.planned", planRef: "p", changes: 2, blocked: null, at: AT },
        { type: "dns.planned", planRef: "p", changes: 0, blocked: null, at: AT },
        { type: "dns.planned", planRef: "p", changes: 1, blocked: "near miss", at: AT },
        { type: "dns.failed", error: failure("zone_not_found"), at: AT },
        cancel,
      ];
    case "applyDns":
      return [
        { type: "dns.applied", rollbackRef: null, at: AT },
        { type: "dns.failed", error: failure("apply_failed"), at: AT },
        { type: "dns.failed", error: failure("drift"), at: AT },
        cancel,
      ];
    default: {
      const gate = eff.kind.slice("gate:".length) as "tos" | "claim" | "dns" | "rollback";
      return [
        { type: "gate.approved", gate, by: "approver-1", reason: null, at: AT },
        { type: "gate.approved", gate, by: "approver-1", reason: null, at: LATE },
        { type: "gate.rejected", gate, by: "approver-1", reason: "no", at: AT },
        { type: "gate.timedOut", gate, at: AT },
        cancel,
      ];
    }
  }
}

/**
 * Two snapshots that differ only in history (gate records, step counters, references,
 * the clock) decide alike, so they are one node; everything a guard reads stays in the key.
 */
const key = (s: LoopSnapshot) => {
  const {
    gates: _g,
    now: _n,
    seq: _s,
    reportRef: _r,
    snapshotId: _i,
    verifiedSnapshotId,
    ...rest
  } = s.context;
  // How often the DNS change was planned bounds re-planning after drift: a guard reads it.
  return JSON.stringify([s.value, rest, verifiedSnapshotId !== null, s.context.seq.planDns ?? 0]);
};

function explore(i: LoopInput) {
  const initial = start(i);
  const nodes = new Map<string, LoopSnapshot>([[key(initial), initial]]);
  const edges = new Map<string, string[]>();
  const queue = [initial];
  while (queue.length) {
    const s = queue.shift()!;
    const out: string[] = [];
    for (const e of outcomes(s)) {
      const n = step(s, e);
      const k = key(n);
      out.push(k);
      if (!nodes.has(k)) {
        nodes.set(k, n);
        queue.push(n);
      }
      if (nodes.size > 50_000) throw new Error("state space did not close");
    }
    edges.set(key(s), out);
  }
  return { nodes, edges };
}

const kinds: Array<[string, LoopInput]> = [
  ["claim, signed off", input()],
  ["claim, no sign-off", input({ tosSignedOff: false })],
  ["claim with dns", input({ dns: true, budgets: { maxIterations: 2, maxDeploys: 4 } })],
  [
    "deploy promotion with dns",
    input({ promotion: "deploy", dns: true, budgets: { maxIterations: 2, maxDeploys: 3 } }),
  ],
  ["rollback of another run's DNS change", input({ dns: true, rollbackOf: "run-0" })],
];

describe("every path reaches a final state", () => {
  it.each(kinds)("%s", (_name, i) => {
    const { nodes, edges } = explore(i);
    const finals = new Set<string>();
    for (const [k, s] of nodes) {
      if (s.status === "done") {
        finals.add(stateName(s));
        expect(FINAL_STATES).toContain(stateName(s));
        continue;
      }
      // Each non-final state names exactly one effect, and some outcome of it moves the machine on.
      expect(currentEffect(s)).not.toBeNull();
      expect(edges.get(k)!.some((n) => n !== k)).toBe(true);
    }
    // From every reachable snapshot a final one is reachable (no traps, no cycles without exit).
    const canFinish = new Set([...nodes].filter(([, s]) => s.status === "done").map(([k]) => k));
    for (let changed = true; changed; ) {
      changed = false;
      for (const [k, out] of edges) {
        if (!canFinish.has(k) && out.some((n) => canFinish.has(n))) {
          canFinish.add(k);
          changed = true;
        }
      }
    }
    expect(canFinish.size).toBe(nodes.size);
    // A rollback run spends no loop budget: it plans, waits at its gate and applies.
    const expected = ["succeeded", "failed", "rejected", "cancelled", "expired"];
    expect(finals).toEqual(new Set(i.rollbackOf ? expected : [...expected, "budgetExhausted"]));
    expect(nodes.size).toBeGreaterThan(i.rollbackOf ? 5 : 20);
  });

  it("has no path longer than the budgets allow", () => {
    const { nodes } = explore(input({ budgets: { maxIterations: 2, maxDeploys: 3 } }));
    for (const s of nodes.values()) {
      expect(s.context.spent.iterations).toBeLessThanOrEqual(2);
      expect(s.context.spent.deploys).toBeLessThanOrEqual(3);
    }
  });
});
