/**
 * A `dns` gate that needs two different approvers (`gates.dns.required: 2`),
 * through the real API and real run Workflows: the first approval is recorded
 * (202, an audit event, shown on the gate page) and the gate stays pending;
 * the same person again is refused (409 `already_approved`); a second person
 * approves it; a rejection by anyone decides at once; concurrent approvals are
 * counted exactly once each.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { gatesSchema } from "../../src/jobs/schema.ts";
import { listApprovals, listGates } from "../../src/store/gates.ts";
import { api, decide, inState, signOff, startRun, uniqueId, waitForRun } from "../run/harness.ts";

beforeAll(signOff);

interface GateJson {
  status: string;
  decidedBy: string | null;
  requiredApprovals: number;
  approvals?: Array<{ by: string }>;
}

async function body(response: Response) {
  return (await response.json()) as {
    gate: GateJson;
    delivered: boolean;
    approvals?: { required: number; by: string[] };
    error?: { code: string; message: string; approvals?: { required: number; by: string[] } };
  };
}

/** Takes a run of the two-approver job past its claim gate to its dns gate. */
async function toDnsGate(id: string): Promise<void> {
  await waitForRun(id, inState("awaitingClaim"));
  expect((await decide(id, "claim", "approve")).status).toBe(200);
  await waitForRun(id, inState("awaitingDns"));
}

async function dnsGateOf(id: string) {
  const gate = (await listGates(env.DB, { runId: id })).find((g) => g.kind === "dns");
  if (!gate) throw new Error(`run ${id} has no dns gate`);
  return gate;
}

async function eventsOf(id: string) {
  const answer = (await (await api(`/api/runs/${id}/events`)).json()) as {
    events: Array<{ type: string; actor: string; data: Record<string, unknown> }>;
  };
  return answer.events;
}

describe("the job schema", () => {
  it("lets only a dns gate ask for two approvers, and no more than two", () => {
    expect(gatesSchema.parse({ dns: { required: 2 } }).dns.required).toBe(2);
    expect(gatesSchema.parse({}).dns.required).toBe(1);
    expect(gatesSchema.safeParse({ dns: { required: 3 } }).success).toBe(false);
    expect(gatesSchema.safeParse({ claim: { required: 2 } }).success).toBe(false);
  });
});

describe("a dns gate that needs two approvers", () => {
  it("records the first approval, refuses the same person twice, and is approved by a second person", async () => {
    const id = uniqueId("two-ok");
    await using instance = await startRun("loop-dns-two", id);
    await toDnsGate(id);
    expect((await dnsGateOf(id)).required_approvals).toBe(2);

    const first = await decide(id, "dns", "approve", { by: "alice", reason: "plan looks right" });
    expect(first.status).toBe(202);
    const firstBody = await body(first);
    expect(firstBody.approvals).toEqual({ required: 2, by: ["alice"] });
    expect(firstBody.gate).toMatchObject({ status: "pending", decidedBy: null, requiredApprovals: 2 });
    expect(firstBody.delivered).toBe(false);
    expect((await waitForRun(id, inState("awaitingDns"))).state).toBe("awaitingDns");

    const again = await decide(id, "dns", "approve", { by: "alice" });
    expect(again.status).toBe(409);
    const refusal = (await body(again)).error!;
    expect(refusal.code).toBe("already_approved");
    expect(refusal.message).toMatch(/alice already approved/);
    expect(refusal.approvals).toEqual({ required: 2, by: ["alice"] });

    // The run's detail and the gate page show how far it got.
    const detail = (await (await api(`/api/runs/${id}`)).json()) as { gates: GateJson[] };
    expect(detail.gates.find((g) => g.requiredApprovals === 2)).toMatchObject({
      status: "pending",
      approvals: [{ by: "alice" }],
    });
    const page = await api(`/inbox/runs/${id}/gates/dns`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/data-testid="approvals">1 of 2 approvals, by <strong>alice<\/strong>/);
    expect(html).toContain(">Approve</button>");

    const second = await decide(id, "dns", "approve", { by: "bob" });
    expect(second.status).toBe(200);
    expect((await body(second)).gate).toMatchObject({ status: "approved", decidedBy: "bob" });
    await instance.waitForStatus("complete");
    expect((await waitForRun(id, (r) => r.status === "final")).state).toBe("succeeded");

    const late = await decide(id, "dns", "approve", { by: "carol" });
    expect(late.status).toBe(409);
    expect((await body(late)).error?.code).toBe("gate_not_pending");
    expect((await listApprovals(env.DB, (await dnsGateOf(id)).id)).map((a) => a.approver)).toEqual([
      "alice",
      "bob",
    ]);

    const events = await eventsOf(id);
    const recorded = events.filter((e) => e.type === "gate.approvalRecorded");
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      actor: "alice",
      data: { kind: "dns", approvals: 1, required: 2, reason: "plan looks right" },
    });
    const approved = events.filter((e) => e.type === "gate.approved" && e.data.kind === "dns");
    expect(approved).toHaveLength(1);
    expect(approved[0]).toMatchObject({ actor: "bob", data: { approvers: ["alice", "bob"], required: 2 } });
  });

  it("is decided at once by a rejection, even after a first approval", async () => {
    const id = uniqueId("two-reject");
    await using instance = await startRun("loop-dns-two", id);
    await toDnsGate(id);
    expect((await decide(id, "dns", "approve", { by: "alice" })).status).toBe(202);
    const rejected = await decide(id, "dns", "reject", { by: "bob", reason: "wrong zone" });
    expect(rejected.status).toBe(200);
    expect((await body(rejected)).gate).toMatchObject({ status: "rejected", decidedBy: "bob" });
    await instance.waitForStatus("complete");
    expect((await waitForRun(id, (r) => r.status === "final")).state).toBe("rejected");
    expect((await decide(id, "dns", "approve", { by: "carol" })).status).toBe(409);
  });

  it("counts concurrent approvals once each: two people approve it once, one person cannot count twice", async () => {
    const id = uniqueId("two-race");
    await using instance = await startRun("loop-dns-two", id);
    await toDnsGate(id);
    const same = await Promise.all([
      decide(id, "dns", "approve", { by: "alice" }),
      decide(id, "dns", "approve", { by: "alice" }),
    ]);
    expect(same.map((r) => r.status).sort()).toEqual([202, 409]);
    expect((await dnsGateOf(id)).status).toBe("pending");

    const both = await Promise.all([
      decide(id, "dns", "approve", { by: "bob" }),
      decide(id, "dns", "approve", { by: "carol" }),
    ]);
    // Whoever came second found the gate approved by the first.
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const gate = await dnsGateOf(id);
    expect(gate.status).toBe("approved");
    expect(["bob", "carol"]).toContain(gate.decided_by);
    expect((await listApprovals(env.DB, gate.id)).map((a) => a.approver)).toEqual(["alice", gate.decided_by]);
    await instance.waitForStatus("complete");
    expect(
      (await eventsOf(id)).filter((e) => e.type === "gate.approved" && e.data.kind === "dns"),
    ).toHaveLength(1);
  });

  it("takes approvals from the inbox and from signed links, counting a link as the person it was issued to", async () => {
    const id = uniqueId("two-inbox");
    await using instance = await startRun("loop-dns-two", id);
    await toDnsGate(id);
    const gatePage = `/inbox/runs/${id}/gates/dns-1`;
    const post = async (path: string, page: string, init: RequestInit = {}, decision = "approve") => {
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
      const viewHash = /name="viewHash" value="([^"]+)"/.exec(page)![1]!;
      return api(path, {
        ...init,
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", ...init.headers },
        body: new URLSearchParams({ decision, csrf, viewHash, reason: "" }).toString(),
      });
    };

    // The bootstrap admin approves in the inbox: recorded, the gate waits, the page says so.
    const first = await post(gatePage, await (await api(gatePage)).text());
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toMatch(new RegExp(`^/inbox/runs/${id}\\?recorded=`));
    expect((await dnsGateOf(id)).status).toBe("pending");
    const after = await (await api(gatePage)).text();
    expect(after).toMatch(/1 of 2 approvals, by <strong>admin<\/strong>/);
    expect(after).toMatch(/You approved this gate already/);
    expect(after).not.toContain(">Approve</button>");

    // A link issued to the same person cannot make a second approval, and is given back.
    const link = async (to: string) => {
      const issued = await api(`/api/runs/${id}/gates/dns/links`, { method: "POST", json: { to } });
      expect(issued.status).toBe(201);
      return new URL(((await issued.json()) as { url: string }).url).pathname;
    };
    const own = await link("admin");
    const refused = await post(own, await (await api(own, { headers: { authorization: "" } })).text(), {
      headers: { authorization: "" },
    });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("x-nightshift-refusal")).toBe("already_approved");
    expect((await api(own, { headers: { authorization: "" } })).status).toBe(200);

    // A rejection without a reason through a link decides nothing and leaves the link usable.
    const other = await link("dana");
    const unreasoned = await post(
      other,
      await (await api(other, { headers: { authorization: "" } })).text(),
      { headers: { authorization: "" } },
      "reject",
    );
    expect(unreasoned.status).toBe(400);
    expect(unreasoned.headers.get("x-nightshift-refusal")).toBe("reason_required");
    expect((await dnsGateOf(id)).status).toBe("pending");

    // The link issued to someone else decides it.
    const decided = await post(other, await (await api(other, { headers: { authorization: "" } })).text(), {
      headers: { authorization: "" },
    });
    expect(decided.status).toBe(303);
    expect(decided.headers.get("location")).toMatch(/\?decided=/);
    const gate = await dnsGateOf(id);
    expect(gate.status).toBe("approved");
    expect(gate.decided_by).toMatch(/^dana \(signed link lnk_/);
    expect((await listApprovals(env.DB, gate.id)).map((a) => a.approver)).toEqual(["admin", "dana"]);
    await instance.waitForStatus("complete");
  });
});
