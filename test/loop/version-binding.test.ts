/**
 * Issue 15, item 3: an approval binds to what is deployed. Code in another Sandbox
 * redeployed a verified preview after verification, and the claim approval still shipped
 * it. The machine now records the version verified, and a promotion that finds another
 * version live voids the claim approval: the verified snapshot goes out again, is verified
 * again, and the claim gate reopens with the reason. Pure transitions, as tables.
 */
import { describe, expect, it } from "vitest";
import { currentEffect } from "../../src/loop/effect-of.ts";
import type { LoopEvent } from "../../src/loop/types.ts";
import { ev, input, run, start, stateName, step, T0 } from "./helpers.ts";

const passedAt = (versionId: string | null, at = T0 + 4000): LoopEvent => ({
  type: "verify.passed",
  reportRef: "rep-ok",
  sandboxMs: 100,
  versionId,
  at,
});
const changed = (at = T0 + 6000): LoopEvent => ({
  type: "promote.failed",
  error: { code: "version_changed", message: "the live version is v2, not the verified v1" },
  at,
});
const toClaim = (maxDeploys = 6) =>
  run(start(input({ budgets: { maxDeploys } })), [
    ev.prepared(),
    ev.written(1),
    ev.deployed(),
    passedAt("v1"),
  ]).snapshot;
const toPromoting = (maxDeploys = 6) => step(toClaim(maxDeploys), ev.approve("claim"));

describe("an approval binds to the deployed version", () => {
  const table: Array<[string, () => ReturnType<typeof start>, LoopEvent, string, string | null]> = [
    [
      "version changed before the claim → deploy the verified snapshot again",
      toPromoting,
      changed(),
      "deploying",
      "deploy#2",
    ],
    [
      "version changed, no deploys left → budget exhausted",
      () => toPromoting(1),
      changed(),
      "budgetExhausted",
      null,
    ],
    [
      "another promotion failure still fails the run",
      toPromoting,
      { type: "promote.failed", error: { code: "deploy_failed", message: "boom" }, at: T0 + 6000 },
      "failed",
      null,
    ],
    ["the verified version was promoted → succeeded", toPromoting, ev.promoted(), "succeeded", null],
  ];

  it.each(table)("%s", (_name, from, event, next, effect) => {
    const s = step(from(), event);
    expect(stateName(s)).toBe(next);
    const eff = currentEffect(s);
    expect(eff ? `${eff.kind}#${eff.seq}` : null).toBe(effect);
  });

  it("records the version that passed verification", () => {
    expect(toClaim().context.verifiedVersionId).toBe("v1");
    const unknown = run(start(), [ev.prepared(), ev.written(1), ev.deployed(), ev.passed()]).snapshot;
    expect(unknown.context.verifiedVersionId).toBeNull();
  });

  it("voids the claim approval, redeploys the verified snapshot into the same account and reopens the gate", () => {
    let s = step(toPromoting(), changed());
    expect(s.context.voided).toEqual([
      {
        gate: "claim",
        seq: 1,
        code: "version_changed",
        reason: "the live version is v2, not the verified v1",
        at: T0 + 6000,
      },
    ]);
    expect(s.context).toMatchObject({
      snapshotId: "snap-w1",
      verifiedVersionId: null,
      freshAccount: false,
      account: { id: "acct" },
    });
    s = run(s, [ev.deployed(T0 + 7000), passedAt("v3", T0 + 8000)]).snapshot;
    expect(stateName(s)).toBe("awaitingClaim");
    expect(currentEffect(s)).toEqual({ kind: "gate:claim", seq: 2 });
    expect(s.context.verifiedVersionId).toBe("v3");
    // The first approval stays on record as given; the second gate decides.
    s = step(s, ev.approve("claim", T0 + 9000));
    expect(s.context.gates.map((g) => [g.kind, g.seq, g.decision])).toEqual([
      ["claim", 1, "approved"],
      ["claim", 2, "approved"],
    ]);
    expect(stateName(step(s, ev.promoted(T0 + 10_000)))).toBe("succeeded");
  });

  it("records the promoted version for the DNS gate", () => {
    const s = step(
      step(
        run(start(input({ dns: true })), [ev.prepared(), ev.written(1), ev.deployed(), passedAt("v1")])
          .snapshot,
        ev.approve("claim"),
      ),
      {
        type: "promote.done",
        url: "https://w.example.workers.dev",
        versionId: "v1",
        at: T0 + 6000,
      },
    );
    expect(stateName(s)).toBe("planningDns");
    expect(s.context.promotedVersionId).toBe("v1");
  });

  const toApplyingDns = () =>
    run(start(input({ dns: true })), [
      ev.prepared(),
      ev.written(1),
      ev.deployed(),
      passedAt("v1"),
      ev.approve("claim"),
      { type: "promote.done", url: "https://w.acct.workers.dev", versionId: "v1", at: T0 + 6000 },
      ev.dnsPlanned(),
      ev.approve("dns", T0 + 7000),
    ]).snapshot;
  const targetChanged = (at = T0 + 8000): LoopEvent => ({
    type: "dns.failed",
    error: { code: "version_changed", message: "the target Worker serves v9, not the promoted v1" },
    at,
  });

  it("voids the DNS approval when the target's version changed, verifies the Worker live now and reopens the gate", () => {
    const planned = toApplyingDns();
    expect(stateName(planned)).toBe("applyingDns");
    let s = step(planned, targetChanged());
    expect(stateName(s)).toBe("reverifyingTarget");
    expect(currentEffect(s)).toEqual({ kind: "verify", seq: 2 });
    expect(s.context.voided).toEqual([
      {
        gate: "dns",
        seq: 1,
        code: "version_changed",
        reason: "the target Worker serves v9, not the promoted v1",
        at: T0 + 8000,
      },
    ]);
    expect(s.context.dnsPlanRef).toBeNull();
    // It passes: planned again, asked again, now pointing at the version that passed.
    s = run(s, [passedAt("v9", T0 + 9000), ev.dnsPlanned(1, null, T0 + 9500)]).snapshot;
    expect(stateName(s)).toBe("awaitingDns");
    expect(currentEffect(s)).toEqual({ kind: "gate:dns", seq: 2 });
    expect(s.context.promotedVersionId).toBe("v9");
    // The claim's verification stays what it was: the claim approval is not reopened.
    expect(s.context.verifiedVersionId).toBe("v1");
    s = run(s, [ev.approve("dns", T0 + 10_000), ev.dnsApplied(T0 + 11_000)]).snapshot;
    expect(stateName(s)).toBe("succeeded");
    expect(s.context.gates.filter((g) => g.kind === "dns").map((g) => [g.seq, g.decision])).toEqual([
      [1, "approved"],
      [2, "approved"],
    ]);
  });

  it("fails the run when the target Worker live now fails its probes, asking for no DNS change", () => {
    const s = run(toApplyingDns(), [targetChanged(), ev.failed(T0 + 9000)]).snapshot;
    expect(stateName(s)).toBe("failed");
    expect(s.context.outcome).toEqual({
      reason:
        "the target Worker serves v9, not the promoted v1; the Worker live now fails its probes, so no DNS change is asked for",
      code: "version_changed",
    });
  });

  it("fails the run when the target keeps changing: at most three plans", () => {
    let s = toApplyingDns();
    for (let i = 0; i < 2; i += 1) {
      s = run(s, [
        targetChanged(T0 + 8000 + i * 10),
        passedAt(`v${10 + i}`, T0 + 9000 + i * 10),
        ev.dnsPlanned(1, null, T0 + 9500 + i * 10),
        ev.approve("dns", T0 + 9600 + i * 10),
      ]).snapshot;
      expect(stateName(s)).toBe("applyingDns");
    }
    s = step(s, targetChanged(T0 + 20_000));
    expect(stateName(s)).toBe("failed");
    expect(s.context.outcome).toMatchObject({ code: "version_changed" });
  });
});
