/**
 * Notifications beyond "gate opened": a gate about to expire, an expired gate
 * and a failed run are each announced exactly once, however often the sweeper
 * runs and whoever expires the gate first (the sweeper or the run itself).
 * Real run Workflows and the real sweeper; the fake Notifier records every
 * call it gets in D1, so a second send would show. The sweeper is driven with
 * an explicit `now` (its deadline logic reads no clock of its own).
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SWEEP, sweep } from "../../src/control/sweeper.ts";
import { decideBy, expiryWarningLeadMs, listGates } from "../../src/store/gates.ts";
import type { GateRow } from "../../src/store/rows.ts";
import { stepName } from "../../src/loop/step-names.ts";
import { fakePorts } from "../support/fakes/ports.ts";
import { fakeCalls } from "../support/fakes/world.ts";
import { inState, rejectAtClaim, signOff, startRun, uniqueId, waitForRun } from "../run/harness.ts";

beforeAll(signOff);

const notifier = fakePorts(env.DB).notifier;
const sweepAt = (now: number) => sweep(env, { now, ...DEFAULT_SWEEP, notifier });

async function notices(runId: string): Promise<Array<{ key: string; kind: string }>> {
  return (await fakeCalls(env.DB, runId)).filter((c) => c.kind.startsWith("notify:"));
}

async function claimGate(runId: string): Promise<GateRow> {
  const [gate] = await listGates(env.DB, { runId });
  if (!gate) throw new Error(`run ${runId} has no gate`);
  return gate;
}

describe("the expiry warning rule", () => {
  const HOUR = 3_600_000;
  it("warns an hour ahead, or a tenth of a shorter gate's timeout ahead", () => {
    const gate = (hours: number) => ({ opened_at: 0, deadline_at: hours * HOUR, shown_json: {} });
    expect(expiryWarningLeadMs(gate(24))).toBe(HOUR);
    expect(expiryWarningLeadMs(gate(1))).toBe(360_000);
    expect(expiryWarningLeadMs(gate(0.5))).toBe(180_000);
  });

  it("counts to the earlier of the timeout and the claimed account's expiry", () => {
    const claim = { opened_at: 0, deadline_at: 24 * HOUR, shown_json: { accountExpiresAt: HOUR } };
    expect(decideBy(claim)).toEqual({
      at: HOUR,
      because: "account_expiry",
      other: { at: 24 * HOUR, because: "timeout" },
    });
    expect(expiryWarningLeadMs(claim)).toBe(360_000);
    const later = { ...claim, shown_json: { accountExpiresAt: 48 * HOUR } };
    expect(decideBy(later)).toEqual({
      at: 24 * HOUR,
      because: "timeout",
      other: { at: 48 * HOUR, because: "account_expiry" },
    });
    expect(decideBy({ ...claim, shown_json: {} })).toEqual({
      at: 24 * HOUR,
      because: "timeout",
      other: null,
    });
  });
});

describe("gate notices from the sweeper", () => {
  it("warns once before the deadline, announces the expiry once, and the run's failure once", async () => {
    const id = uniqueId("notice-expire");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    const gate = await claimGate(id);
    const lead = expiryWarningLeadMs(gate);
    // The claim gate must be decided before the fake's one-hour account expires, long before its own 24 h.
    const due = decideBy(gate);
    expect(due.because).toBe("account_expiry");
    expect(due.at).toBeLessThan(gate.deadline_at);

    // Outside the warning window: nothing.
    expect((await sweepAt(due.at - lead - 60_000)).warnedGates).not.toContain(gate.id);
    // Inside it, swept three times: one warning.
    expect((await sweepAt(due.at - lead + 1_000)).warnedGates).toEqual([gate.id]);
    expect((await sweepAt(due.at - 30_000)).warnedGates).toEqual([]);
    expect((await sweepAt(gate.deadline_at - 1_000)).warnedGates).toEqual([]);

    // Past the deadline: the sweeper expires the gate, announces it, and wakes the run.
    const expired = await sweepAt(gate.deadline_at + 1_000);
    expect(expired.expiredGates).toEqual([gate.id]);
    expect(expired.noticedExpired).toEqual([gate.id]);
    await instance.waitForStatus("complete");
    const run = await waitForRun(id, (r) => r.status === "final");
    expect(run.state).toBe("expired");
    // The run settled its gate as timed out and tried to announce it too; swept again: nothing new.
    const again = await sweepAt(gate.deadline_at + 120_000);
    expect(again.noticedExpired).toEqual([]);
    expect(again.warnedGates).toEqual([]);

    expect(await notices(id)).toEqual([
      { key: `${id}:gate:claim#1/open`, kind: "notify:gate.opened" },
      { key: `${id}:gate:claim#1/expiring`, kind: "notify:gate.expiring" },
      { key: `${id}:gate:claim#1/expired`, kind: "notify:gate.expired" },
      { key: `${id}:finish`, kind: "notify:run.failed" },
    ]);
  });

  it("announces a gate the run expired by itself once, without a warning after the deadline", async () => {
    const id = uniqueId("notice-self");
    // The gate times out in the run's own wait (Workflows times it out, forced now rather than in
    // the job's hour); the run expires the row and announces it.
    const claimWait = stepName({ kind: "gate:claim", seq: 1 });
    await using instance = await startRun("loop", id, {}, (m) => m.forceEventTimeout({ name: claimWait }));
    await instance.waitForStatus("complete");
    expect((await waitForRun(id, (r) => r.status === "final")).state).toBe("expired");
    const gate = await claimGate(id);
    expect(gate).toMatchObject({ status: "expired", decided_by: "system" });
    const swept = await sweepAt(gate.deadline_at + 60_000);
    expect(swept.noticedExpired).not.toContain(gate.id);
    expect(swept.warnedGates).not.toContain(gate.id);
    expect((await notices(id)).map((n) => n.kind)).toEqual([
      "notify:gate.opened",
      "notify:gate.expired",
      "notify:run.failed",
    ]);
  });

  it("sends no expiry notices for a gate decided in time, and 'finished' (not 'failed') for a rejection", async () => {
    const id = uniqueId("notice-decided");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    const gate = await claimGate(id);
    await rejectAtClaim(id, instance);
    const swept = await sweepAt(gate.deadline_at + 1_000);
    expect(swept.warnedGates).toEqual([]);
    expect(swept.noticedExpired).toEqual([]);
    expect((await notices(id)).map((n) => n.kind)).toEqual(["notify:gate.opened", "notify:run.finished"]);
  });

  it("announces a run that fails by itself as failed", async () => {
    const id = uniqueId("notice-failed");
    await using instance = await startRun("loop", id, { buggyRounds: 99 });
    await instance.waitForStatus("complete");
    const run = await waitForRun(id, (r) => r.status === "final");
    expect(["failed", "budgetExhausted"]).toContain(run.state);
    expect(await notices(id)).toEqual([{ key: `${id}:finish`, kind: "notify:run.failed" }]);
  });
});
