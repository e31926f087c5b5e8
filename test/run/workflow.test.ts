/**
 * The run Workflow, for real in workerd, with fake ports: the loop fixes a
 * bug once, spends its budget, waits at gates, survives transient faults and
 * redeploys when a claim comes after the temporary account's hour.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { getArtifact } from "../../src/store/artifacts.ts";
import { listEvents } from "../../src/store/events.ts";
import { listGates } from "../../src/store/gates.ts";
import { stepName } from "../../src/loop/step-names.ts";
import { fakeCalls } from "../support/fakes/world.ts";
import { api, decide, inState, rejectAtClaim, signOff, startRun, uniqueId, waitForRun } from "./harness.ts";

beforeAll(signOff);

const keysOf = async (id: string) => (await fakeCalls(env.DB, id)).map((c) => c.key.slice(id.length + 1));

describe("run workflow", () => {
  it("passes after one fix round and succeeds once the claim is approved", async () => {
    const id = uniqueId("fix-once");
    await using instance = await startRun("loop", id, { buggyRounds: 1 });
    const waiting = await waitForRun(id, inState("awaitingClaim"));
    expect(waiting.status).toBe("waiting");
    expect(await keysOf(id)).toEqual([
      "write#1",
      "deploy#1",
      "verify#1",
      "fix#1",
      "deploy#2",
      "verify#2",
      "gate:claim#1/open",
    ]);
    // Each verify event's report is in D1: the step's journal writes both in one batch.
    const verified = (await listEvents(env.DB, id)).filter((e) => e.type.startsWith("verify."));
    expect(verified.map((e) => e.type)).toEqual(["verify.failed", "verify.passed"]);
    for (const e of verified) {
      const { reportRef } = e.data_json as { reportRef: string };
      expect(await getArtifact(env.DB, reportRef)).toMatchObject({ kind: "verify-report" });
    }

    const approved = await decide(id, "claim", "approve", { by: "approver-1", reason: "looks right" });
    expect(approved.status).toBe(200);
    await instance.waitForStatus("complete");
    const output = (await instance.getOutput()) as { state: string };
    expect(output.state).toBe("succeeded");
    const run = await waitForRun(id, (r) => r.status === "final");
    expect(run.state).toBe("succeeded");
    expect(await keysOf(id)).toContain("promote#1");
    const types = (await listEvents(env.DB, id)).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        "run.started",
        "verify.failed",
        "verify.passed",
        "gate.approved",
        "run.finished",
      ]),
    );
  });

  it("stops at the iteration budget when the agent never fixes the bug", async () => {
    const id = uniqueId("exhaust");
    await using instance = await startRun("loop", id, { buggyRounds: 99 });
    await instance.waitForStatus("complete");
    const run = await waitForRun(id, (r) => r.status === "final");
    expect(run.state).toBe("budgetExhausted");
    expect(run.outcome_json).toEqual({ reason: "budget spent: iterations", code: "budget_iterations" });
    expect((await keysOf(id)).filter((k) => /^(write|fix)#/.test(k))).toEqual(["write#1", "fix#1", "fix#2"]);
  });

  it("ends rejected when the claim is rejected, with the reason on record", async () => {
    const id = uniqueId("reject");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    expect((await decide(id, "claim", "reject", { reason: "wrong worker" })).status).toBe(200);
    await instance.waitForStatus("complete");
    const run = await waitForRun(id, (r) => r.status === "final");
    expect(run.state).toBe("rejected");
    expect(run.outcome_json).toMatchObject({
      code: "rejected",
      reason: expect.stringContaining("wrong worker"),
    });
  });

  it("expires when nobody decides before the gate's timeout", async () => {
    const id = uniqueId("timeout");
    // The claim gate's wait times out in Workflows itself (as it would after the job's hour), so
    // the run takes the timeout path of step.waitForEvent, not a decision and not the sweeper.
    const claimWait = stepName({ kind: "gate:claim", seq: 1 });
    await using instance = await startRun("loop", id, {}, (m) => m.forceEventTimeout({ name: claimWait }));
    await instance.waitForStatus("complete");
    const run = await waitForRun(id, (r) => r.status === "final");
    expect(run.state).toBe("expired");
    expect(run.outcome_json).toEqual({ reason: "claim gate timed out", code: "gate_timeout" });
    const [gate] = await listGates(env.DB, { runId: id });
    expect(gate).toMatchObject({ status: "expired", decided_by: "system", reason: "timed out" });
    // Nothing else could have expired it: the gate's own deadline is still an hour away.
    expect(gate!.deadline_at).toBeGreaterThan(Date.now() + 30 * 60_000);
    // The gate is closed: a late approval is refused, not lost silently.
    expect((await decide(id, "claim", "approve")).status).toBe(409);
  });

  it("redeploys into a fresh account and asks again when the claim comes after the account expired", async () => {
    const id = uniqueId("late-claim");
    await using instance = await startRun("loop", id, { accountLifetimesMs: [1] });
    await waitForRun(id, inState("awaitingClaim"));
    await decide(id, "claim", "approve");
    // The fresh deployment is verified again before the second claim gate opens.
    const again = await waitForRun(id, (r) => r.current_step === "verify#2");
    expect(again.state).toBe("awaitingClaim");
    const gates = await listGates(env.DB, { runId: id });
    expect(gates.map((g) => [g.seq, g.status])).toEqual([
      [1, "approved"],
      [2, "pending"],
    ]);
    const first = gates[0]!.shown_json as { claimUrl: string };
    const second = gates[1]!.shown_json as { claimUrl: string };
    expect(second.claimUrl).not.toBe(first.claimUrl);
    expect(await keysOf(id)).toEqual(expect.arrayContaining(["deploy#1", "deploy#2", "verify#2"]));
    await decide(id, "claim-2", "approve");
    await instance.waitForStatus("complete");
    expect((await waitForRun(id, (r) => r.status === "final")).state).toBe("succeeded");
  });

  it("retries a step that throws transiently and still runs its effect once", async () => {
    const id = uniqueId("transient");
    await using instance = await startRun("loop", id, { transient: { "deploy#1": 2, "write#1": 1 } });
    await waitForRun(id, inState("awaitingClaim"));
    const keys = await keysOf(id);
    expect(keys.filter((k) => k === "deploy#1")).toHaveLength(1);
    expect(keys.filter((k) => k === "write#1")).toHaveLength(1);
    await api(`/api/runs/${id}/cancel`, { method: "POST", json: {} });
    await instance.waitForStatus("complete");
  });

  it("holds a run through a Sandbox host outage and says once in the timeline what it waits for", async () => {
    const id = uniqueId("outage");
    await using instance = await startRun("loop", id, { outages: { "deploy#1": 2 } });
    await waitForRun(id, inState("awaitingClaim"));
    expect((await keysOf(id)).filter((k) => k === "deploy#1")).toHaveLength(1);
    const waiting = (await listEvents(env.DB, id)).filter((e) => e.type === "run.waiting");
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({
      step: "deploy#1",
      actor: "system",
      data_json: { on: "the Sandbox host" },
    });
    await api(`/api/runs/${id}/cancel`, { method: "POST", json: {} });
    await instance.waitForStatus("complete");
  });

  it("cancels a run mid-loop: the next step sees the request and the machine ends cancelled", async () => {
    const id = uniqueId("cancel");
    await using instance = await startRun("loop", id, { writeDelayMs: 1_500 });
    await waitForRun(id, inState("writing"));
    const response = await api(`/api/runs/${id}/cancel`, { method: "POST", json: { reason: "not tonight" } });
    expect(response.status).toBe(202);
    await instance.waitForStatus("complete");
    const run = await waitForRun(id, (r) => r.status === "final");
    expect(run.state).toBe("cancelled");
    expect(await keysOf(id)).not.toContain("deploy#1");
  });

  it("cancels a run waiting at a gate", async () => {
    const id = uniqueId("cancel-gate");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    expect((await api(`/api/runs/${id}/cancel`, { method: "POST", json: {} })).status).toBe(202);
    await instance.waitForStatus("complete");
    expect((await waitForRun(id, (r) => r.status === "final")).state).toBe("cancelled");
    const [gate] = await listGates(env.DB, { runId: id });
    expect(gate?.status).toBe("cancelled");
  });

  it("applies the DNS change once after the dns gate is approved", async () => {
    const id = uniqueId("dns");
    await using instance = await startRun("loop-dns", id);
    await waitForRun(id, inState("awaitingClaim"));
    await decide(id, "claim", "approve");
    await waitForRun(id, inState("awaitingDns"));
    await decide(id, "dns", "approve");
    await instance.waitForStatus("complete");
    expect((await waitForRun(id, (r) => r.status === "final")).state).toBe("succeeded");
    expect((await keysOf(id)).filter((k) => k === "applyDns#1")).toHaveLength(1);
    const [, dnsGate] = await listGates(env.DB, { runId: id });
    expect(dnsGate?.shown_json).toMatchObject({
      plan: {
        hostname: "app.example.com",
        changes: [{ action: "create", key: "custom-domain:app.example.com" }],
      },
    });

    // Undo it: a rollback run shows the inverse at its own gate and applies it once approved.
    const started = await api(`/api/runs/${id}/rollback`, { method: "POST", json: {} });
    expect(started.status).toBe(201);
    const rollbackId = ((await started.json()) as { run: { id: string } }).run.id;
    expect(rollbackId).toBe(`rollback-${id}`.slice(0, 60));
    const again = await api(`/api/runs/${id}/rollback`, { method: "POST", json: {} });
    expect(again.status).toBe(409);
    await waitForRun(rollbackId, inState("awaitingRollback"));
    const [rollbackGate] = await listGates(env.DB, { runId: rollbackId });
    expect(rollbackGate).toMatchObject({ kind: "rollback", status: "pending" });
    expect(rollbackGate?.shown_json).toMatchObject({
      rollbackOf: id,
      plan: { changes: [{ action: "delete", key: "custom-domain:app.example.com", after: null }] },
    });
    expect((await decide(rollbackId, "rollback", "approve")).status).toBe(200);
    expect((await waitForRun(rollbackId, (r) => r.status === "final")).state).toBe("succeeded");
    // No Sandbox work, no deploy: the rollback plans from the record, waits, applies.
    expect((await keysOf(rollbackId)).filter((k) => k !== "finish")).toEqual([
      "gate:rollback#1/open",
      "applyDns#1",
    ]);
  });

  it("refuses to roll back a run that changed no DNS, or one that does not exist", async () => {
    const id = uniqueId("no-dns");
    await using instance = await startRun("loop", id);
    await rejectAtClaim(id, instance);
    const refused = await api(`/api/runs/${id}/rollback`, { method: "POST", json: {} });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({
      error: { code: "conflict", message: `run ${id} recorded no DNS change to roll back` },
    });
    expect((await api("/api/runs/no-such-run/rollback", { method: "POST", json: {} })).status).toBe(404);
  });
});
