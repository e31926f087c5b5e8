/**
 * Issue 15: an approval binds to what is deployed, for real in workerd with fake ports.
 * Root cause of the bug: the claim gate showed a passing report while code from another
 * Sandbox had redeployed the preview, and the approval shipped the changed code. Now the
 * verify step records the live version, promotion reads it again, and a change voids the
 * approval: the verified snapshot goes out again and a new claim gate says why. A claim
 * made through the claim URL while the gate is still pending is recorded and shown.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { LoopContext } from "../../src/loop/types.ts";
import { listEvents } from "../../src/store/events.ts";
import { listGates } from "../../src/store/gates.ts";
import { fakeCalls, FakeWorld } from "../support/fakes/world.ts";
import { api, decide, inState, signOff, startRun, uniqueId, waitForRun } from "./harness.ts";

beforeAll(signOff);

const WORKER = "loop-test";
const world = () => new FakeWorld(env.DB);
const keysOf = async (id: string) => (await fakeCalls(env.DB, id)).map((c) => c.key.slice(id.length + 1));

async function accountOf(id: string): Promise<string> {
  const run = await waitForRun(id, inState("awaitingClaim"));
  const account = (run.context_json as LoopContext).account;
  if (!account) throw new Error(`run ${id} has no account`);
  return account.id;
}

describe("an approval binds to the deployed version", () => {
  it("voids a claim approval when the live version changed after verification, and reopens the gate with the reason", async () => {
    const id = uniqueId("version-changed");
    await using instance = await startRun("loop", id);
    const accountId = await accountOf(id);
    const verified = await world().liveVersion(accountId, WORKER);
    expect(verified).not.toBeNull();
    const [first] = await listGates(env.DB, { runId: id });
    expect((first!.shown_json as { verifiedVersionId: string }).verifiedVersionId).toBe(verified);

    // Someone else redeploys into the run's temporary account after verification.
    await world().setLiveVersion(accountId, WORKER, "changed-behind-the-run");
    expect((await decide(id, "claim", "approve", { reason: "report looks fine" })).status).toBe(200);

    // Back through deploy and verify: a second claim gate opens, showing why.
    await waitForRun(id, (r) => r.state === "awaitingClaim" && r.current_step === "verify#2");
    expect(await keysOf(id)).toEqual([
      "write#1",
      "deploy#1",
      "verify#1",
      "gate:claim#1/open",
      "deploy#2",
      "verify#2",
      "gate:claim#2/open",
    ]);
    expect(await keysOf(id)).not.toContain("promote#1");
    const gates = await listGates(env.DB, { runId: id });
    expect(gates.map((g) => [g.seq, g.status])).toEqual([
      [1, "approved"],
      [2, "pending"],
    ]);
    const shown = gates[1]!.shown_json as {
      verifiedVersionId: string;
      reopened: { voidedGate: string; code: string; reason: string };
    };
    expect(shown.reopened.voidedGate).toBe("claim-1");
    expect(shown.reopened.code).toBe("version_changed");
    expect(shown.reopened.reason).toContain("changed-behind-the-run");
    const redeployed = await world().liveVersion(accountId, WORKER);
    expect(shown.verifiedVersionId).toBe(redeployed);
    expect(redeployed).not.toBe("changed-behind-the-run");

    // The API's gate view and the inbox page show the reason too.
    const view = (await (await api(`/api/runs/${id}`)).json()) as {
      gates: Array<{ ref: string; shown: { reopened?: { reason: string } } }>;
    };
    expect(view.gates.find((g) => g.ref === "claim-2")?.shown.reopened?.reason).toContain("is void");
    const page = await (await api(`/inbox/runs/${id}/gates/claim-2`)).text();
    expect(page).toContain('id="gate-reopened"');
    expect(page).toContain("changed-behind-the-run");
    expect(page).toContain(`Approving binds to Worker version <code>${redeployed}</code>`);
    const events = (await listEvents(env.DB, id)).map((e) => [
      e.type,
      (e.data_json as { error?: { code?: string } }).error?.code,
    ]);
    expect(events).toContainEqual(["promote.failed", "version_changed"]);

    expect((await decide(id, "claim-2", "approve")).status).toBe(200);
    await instance.waitForStatus("complete");
    expect((await waitForRun(id, (r) => r.status === "final")).state).toBe("succeeded");
  });

  it("voids a DNS approval when the target Worker changed, verifies what is live and reopens the DNS gate", async () => {
    const id = uniqueId("dns-target-changed");
    await using instance = await startRun("loop-dns", id);
    const accountId = await accountOf(id);
    expect((await decide(id, "claim", "approve")).status).toBe(200);
    await waitForRun(id, inState("awaitingDns"));
    const promoted = await world().liveVersion(accountId, WORKER);
    const [, dnsGate] = await listGates(env.DB, { runId: id });
    expect((dnsGate!.shown_json as { targetVersionId: string }).targetVersionId).toBe(promoted);

    // Someone changes the target Worker after the DNS plan was shown; then the approval comes.
    await world().setLiveVersion(accountId, WORKER, "target-changed-behind-the-run");
    expect((await decide(id, "dns", "approve")).status).toBe(200);

    // Nothing applied: the Worker live now is probed, and a second DNS gate asks again.
    await waitForRun(id, (r) => r.state === "awaitingDns" && r.current_step === "planDns#2");
    const keys = await keysOf(id);
    expect(keys.slice(keys.indexOf("gate:dns#1/open"))).toEqual([
      "gate:dns#1/open",
      "verify#2",
      "gate:dns#2/open",
    ]);
    const failed = (await listEvents(env.DB, id)).find((e) => e.type === "dns.failed");
    expect(failed?.data_json).toMatchObject({ error: { code: "version_changed" } });
    const gates = await listGates(env.DB, { runId: id });
    expect(gates.map((g) => [g.kind, g.seq, g.status])).toEqual([
      ["claim", 1, "approved"],
      ["dns", 1, "approved"],
      ["dns", 2, "pending"],
    ]);
    const shown = gates[2]!.shown_json as {
      targetVersionId: string;
      reopened: { voidedGate: string; code: string; reason: string };
    };
    expect(shown.targetVersionId).toBe("target-changed-behind-the-run");
    expect(shown.reopened).toMatchObject({ voidedGate: "dns-1", code: "version_changed" });
    expect(shown.reopened.reason).toContain("target-changed-behind-the-run");
    const page = await (await api(`/inbox/runs/${id}/gates/dns-2`)).text();
    expect(page).toContain('id="gate-reopened"');
    expect(page).toContain("The Worker live now passed its probes again");

    expect((await decide(id, "dns-2", "approve")).status).toBe(200);
    await instance.waitForStatus("complete");
    expect((await waitForRun(id, (r) => r.status === "final")).state).toBe("succeeded");
    // The change was applied once, by the second approval (the first applied nothing).
    expect((await keysOf(id)).filter((k) => /^applyDns#\d+$/.test(k))).toEqual(["applyDns#2"]);
  });

  it("records and shows a claim made while the claim gate was still pending", async () => {
    const id = uniqueId("claim-early");
    await using instance = await startRun("loop", id);
    const accountId = await accountOf(id);
    const claimedAt = Date.now() - 1_000;
    await world().claim(accountId, claimedAt);
    expect((await decide(id, "claim", "reject", { reason: "someone claimed it already" })).status).toBe(200);
    await instance.waitForStatus("complete");
    await waitForRun(id, (r) => r.status === "final");

    const early = (await listEvents(env.DB, id)).filter((e) => e.type === "claim.before_approval");
    expect(early).toHaveLength(1);
    expect(early[0]!.data_json).toMatchObject({
      gateId: `${id}:claim:1`,
      claimedAt,
      approvedAt: null,
      gateStatus: "rejected",
    });
    const [gate] = await listGates(env.DB, { runId: id });
    expect(gate!.claimed_before_approval_at).toBe(claimedAt);
    const view = (await (await api(`/api/runs/${id}`)).json()) as {
      gates: Array<{ ref: string; claimedBeforeApprovalAt: number | null }>;
    };
    expect(view.gates[0]).toMatchObject({ ref: "claim-1", claimedBeforeApprovalAt: claimedAt });
    const page = await (await api(`/inbox/runs/${id}/gates/claim-1`)).text();
    expect(page).toContain('id="gate-claimed-early"');
    expect(page).toContain(new Date(claimedAt).toISOString().slice(0, 16));
  });

  it("records nothing unusual when the claim comes after the approval", async () => {
    const id = uniqueId("claim-after");
    await using instance = await startRun("loop", id);
    await accountOf(id);
    expect((await decide(id, "claim", "approve")).status).toBe(200);
    await instance.waitForStatus("complete");
    expect((await waitForRun(id, (r) => r.status === "final")).state).toBe("succeeded");
    const types = (await listEvents(env.DB, id)).map((e) => e.type);
    expect(types).not.toContain("claim.before_approval");
    const [gate] = await listGates(env.DB, { runId: id });
    expect(gate!.claimed_before_approval_at).toBeNull();
    const page = await (await api(`/inbox/runs/${id}/gates/claim-1`)).text();
    expect(page).not.toContain('id="gate-claimed-early"');
    expect(page).not.toContain('id="gate-reopened"');
  });
});
