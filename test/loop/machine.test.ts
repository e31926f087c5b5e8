/**
 * The loop machine as a table: (state, event) → (next state, effect named).
 * Pure transitions only: no actors, no timers.
 */
import { describe, expect, it } from "vitest";
import { currentEffect } from "../../src/loop/effect-of.ts";
import type { LoopEvent } from "../../src/loop/types.ts";
import { ev, HOUR, input, run, start, stateName, step, T0 } from "./helpers.ts";

const toVerifying = () => run(start(), [ev.prepared(), ev.written(1), ev.deployed()]).snapshot;
const toClaim = () => step(toVerifying(), ev.passed());

describe("loop machine transitions", () => {
  it("starts in preparing and names the prepare effect", () => {
    const s = start();
    expect(stateName(s)).toBe("preparing");
    expect(currentEffect(s)).toEqual({ kind: "prepare", seq: 1 });
  });

  const table: Array<
    [string, () => ReturnType<typeof start>, Parameters<typeof step>[1], string, string | null]
  > = [
    ["prepare done → writing", () => start(), ev.prepared(), "writing", "write#1"],
    [
      "prepare failed → failed",
      () => start(),
      { type: "prepare.failed", error: { code: "setup_failed", message: "npm ci" }, sandboxMs: 0, at: T0 },
      "failed",
      null,
    ],
    [
      "write done → deploying",
      () => run(start(), [ev.prepared()]).snapshot,
      ev.written(1),
      "deploying",
      "deploy#1",
    ],
    [
      "deploy done → verifying",
      () => run(start(), [ev.prepared(), ev.written(1)]).snapshot,
      ev.deployed(),
      "verifying",
      "verify#1",
    ],
    ["verify failed → fixing", toVerifying, ev.failed(), "fixing", "fix#1"],
    ["verify passed → awaiting claim", toVerifying, ev.passed(), "awaitingClaim", "gate:claim#1"],
    ["claim approved in time → promoting", toClaim, ev.approve("claim"), "promoting", "promote#1"],
    ["claim rejected → rejected", toClaim, ev.reject("claim"), "rejected", null],
    ["claim timed out → expired", toClaim, ev.timeout("claim"), "expired", null],
    [
      "claim approved after the account expired → fresh deploy",
      toClaim,
      ev.approve("claim", T0 + 2 * HOUR),
      "deploying",
      "deploy#2",
    ],
    [
      "build error → fixing",
      () => run(start(), [ev.prepared(), ev.written(1)]).snapshot,
      ev.deployFailed("build_error"),
      "fixing",
      "fix#1",
    ],
    [
      "unsupported Worker config → fixing",
      () => run(start(), [ev.prepared(), ev.written(1)]).snapshot,
      ev.deployFailed("unsupported_config"),
      "fixing",
      "fix#1",
    ],
    [
      "account expired during deploy → deploy again",
      () => run(start(), [ev.prepared(), ev.written(1)]).snapshot,
      ev.deployFailed("account_expired"),
      "deploying",
      "deploy#2",
    ],
    [
      "deployer says terms needed → tos gate",
      () => run(start(), [ev.prepared(), ev.written(1)]).snapshot,
      ev.deployFailed("tos_required"),
      "awaitingTos",
      "gate:tos#1",
    ],
    [
      "other deploy failure → failed",
      () => run(start(), [ev.prepared(), ev.written(1)]).snapshot,
      ev.deployFailed("upload_rejected"),
      "failed",
      null,
    ],
    [
      "cancel while writing → cancelled",
      () => run(start(), [ev.prepared()]).snapshot,
      ev.cancel(),
      "cancelled",
      null,
    ],
    ["cancel at a gate → cancelled", toClaim, ev.cancel(), "cancelled", null],
    [
      "promotion done without dns → succeeded",
      () => step(toClaim(), ev.approve("claim")),
      ev.promoted(),
      "succeeded",
      null,
    ],
  ];

  it.each(table)("%s", (_name, from, event, next, effect) => {
    const s = step(from(), event);
    expect(stateName(s)).toBe(next);
    const eff = currentEffect(s);
    expect(eff ? `${eff.kind}#${eff.seq}` : null).toBe(effect);
  });

  it("asks for the terms gate before the first deploy when no sign-off is recorded", () => {
    const s = run(start(input({ tosSignedOff: false })), [ev.prepared(), ev.written(1)]).snapshot;
    expect(stateName(s)).toBe("awaitingTos");
    const approved = step(s, ev.approve("tos"));
    expect(stateName(approved)).toBe("deploying");
    expect(approved.context.tosSignedOff).toBe(true);
    expect(stateName(step(s, ev.reject("tos")))).toBe("rejected");
  });

  it("ignores a decision for a different gate than the one open", () => {
    const s = step(toClaim(), ev.approve("dns"));
    expect(stateName(s)).toBe("awaitingClaim");
  });

  it("goes through the dns gate when the job declares a DNS change", () => {
    const s = run(start(input({ dns: true })), [
      ev.prepared(),
      ev.written(1),
      ev.deployed(),
      ev.passed(),
      ev.approve("claim"),
      ev.promoted(),
    ]).snapshot;
    expect(stateName(s)).toBe("planningDns");
    const planned = step(s, ev.dnsPlanned(2));
    expect(stateName(planned)).toBe("awaitingDns");
    expect(planned.context.dnsPlanRef).toBe("plan");
    expect(stateName(step(step(planned, ev.approve("dns")), ev.dnsApplied()))).toBe("succeeded");
  });

  const toDnsPlan = () =>
    run(start(input({ dns: true })), [
      ev.prepared(),
      ev.written(1),
      ev.deployed(),
      ev.passed(),
      ev.approve("claim"),
      ev.promoted(),
    ]).snapshot;

  it("fails a blocked DNS plan before any gate opens, saying why", () => {
    const s = step(toDnsPlan(), ev.dnsPlanned(1, "superseal.cc is a near miss of superseal.club"));
    expect(stateName(s)).toBe("failed");
    expect(s.context.outcome).toEqual({
      reason: "DNS plan blocked: superseal.cc is a near miss of superseal.club",
      code: "dns_blocked",
    });
    expect(s.context.gates.map((g) => g.kind)).toEqual(["claim"]);
  });

  it("skips the dns gate when the plan changes nothing, and still applies (which verifies)", () => {
    const s = step(toDnsPlan(), ev.dnsPlanned(0));
    expect(stateName(s)).toBe("applyingDns");
  });

  it("plans again and asks again when the zone drifted after the approval, at most three times", () => {
    const drift: LoopEvent = {
      type: "dns.failed",
      error: { code: "drift", message: "changed" },
      at: T0 + 8000,
    };
    let s = step(step(step(toDnsPlan(), ev.dnsPlanned(1)), ev.approve("dns")), drift);
    expect(stateName(s)).toBe("planningDns");
    expect(s.context.dnsPlanRef).toBeNull();
    s = step(s, ev.dnsPlanned(1));
    expect(stateName(s)).toBe("awaitingDns");
    expect(currentEffect(s)).toEqual({ kind: "gate:dns", seq: 2 });
    s = step(step(step(step(s, ev.approve("dns")), drift), ev.dnsPlanned(1)), ev.approve("dns"));
    expect(stateName(step(s, drift))).toBe("failed");
  });

  it("waits for an approved claim to happen: pending looks again, with a new step name", () => {
    const s = step(toClaim(), ev.approve("claim"));
    const pending = step(s, { type: "promote.pending", how: "not claimed yet", at: T0 + 5500 });
    expect(stateName(pending)).toBe("promoting");
    expect(pending.context.claimPending).toBe(true);
    expect(currentEffect(pending)).toEqual({ kind: "promote", seq: 2 });
    const done = step(pending, ev.promoted());
    expect(stateName(done)).toBe("succeeded");
    expect(done.context.claimPending).toBe(false);
  });

  it("starts a rollback run at its plan and applies it behind the rollback gate", () => {
    const s = start(input({ dns: true, rollbackOf: "run-0" }));
    expect(stateName(s)).toBe("planningDns");
    const planned = step(s, ev.dnsPlanned(1));
    expect(stateName(planned)).toBe("awaitingRollback");
    expect(stateName(step(planned, ev.approve("dns")))).toBe("awaitingRollback");
    const approved = step(planned, ev.approve("rollback"));
    expect(stateName(approved)).toBe("applyingDns");
    expect(stateName(step(approved, ev.dnsApplied()))).toBe("succeeded");
    const drift: LoopEvent = {
      type: "dns.failed",
      error: { code: "drift", message: "changed" },
      at: T0 + 8000,
    };
    expect(stateName(step(approved, drift))).toBe("failed");
  });

  it("redeploys the verified snapshot into a fresh account when a claim comes after the window", () => {
    let s = run(start(), [
      ev.prepared(),
      ev.written(1),
      ev.deployed(),
      ev.failed(),
      ev.written(2),
      ev.deployed(),
      ev.passed(),
    ]).snapshot;
    expect(s.context.verifiedSnapshotId).toBe("snap-w2");
    s = step(s, ev.approve("claim", T0 + 2 * HOUR));
    expect(stateName(s)).toBe("deploying");
    expect(s.context).toMatchObject({ snapshotId: "snap-w2", freshAccount: true, account: null });
    s = run(s, [ev.deployed(T0 + 2 * HOUR + 1, T0 + 3 * HOUR), ev.passed(T0 + 2 * HOUR + 2)]).snapshot;
    expect(stateName(s)).toBe("awaitingClaim");
    expect(currentEffect(s)).toEqual({ kind: "gate:claim", seq: 2 });
    expect(stateName(step(s, ev.approve("claim", T0 + 2 * HOUR + 3)))).toBe("promoting");
  });

  it("does not apply the claim window when promotion deploys to the organisation's account", () => {
    const s = step(
      run(start(input({ promotion: "deploy" })), [ev.prepared(), ev.written(1), ev.deployed(), ev.passed()])
        .snapshot,
      ev.approve("claim", T0 + 48 * HOUR),
    );
    expect(stateName(s)).toBe("promoting");
  });

  it("records who decided each gate", () => {
    const s = step(toClaim(), ev.reject("claim"));
    expect(s.context.gates).toEqual([
      { kind: "claim", seq: 1, decision: "rejected", by: "approver-1", at: T0 + 5000, reason: "no" },
    ]);
    expect(s.context.outcome).toEqual({ reason: "claim gate rejected by approver-1: no", code: "rejected" });
  });
});
