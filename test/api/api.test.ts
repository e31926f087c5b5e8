/**
 * The HTTP API through the real Worker entry: every bad request is a clear
 * 4xx with a JSON body naming what is wrong, and nothing is half-written.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { listRuns } from "../../src/store/runs.ts";
import { api, decide, inState, signOff, startRun, uniqueId, waitForRun } from "../run/harness.ts";

beforeAll(signOff);

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string; path?: string } }).error;
}

describe("API", () => {
  it("refuses requests without the bearer token", async () => {
    const response = await api("/api/runs", { headers: { authorization: "Bearer wrong" } });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthorized");
  });

  it("lists jobs with their triggers", async () => {
    const body = (await (await api("/api/jobs")).json()) as {
      jobs: Array<{ name: string; triggers: unknown[] }>;
    };
    expect(body.jobs.map((j) => j.name)).toContain("loop");
    expect(body.jobs.find((j) => j.name === "loop")?.triggers).toEqual([{ kind: "manual" }]);
  });

  it("answers 404 for an unknown job and starts nothing", async () => {
    const before = (await listRuns(env.DB, { limit: 500 })).length;
    const response = await api("/api/jobs/nope/runs", { method: "POST", json: {} });
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toMatchObject({ code: "not_found", path: "name" });
    expect((await listRuns(env.DB, { limit: 500 })).length).toBe(before);
  });

  it("refuses a duplicate start id with 409 and keeps one run", async () => {
    const id = uniqueId("dup");
    await using instance = await startRun("loop", id);
    const again = await api("/api/jobs/loop/runs", { method: "POST", json: { id } });
    expect(again.status).toBe(409);
    expect(await errorOf(again)).toMatchObject({ code: "conflict", path: "body.id" });
    await waitForRun(id, inState("awaitingClaim"));
    expect((await listRuns(env.DB, { job: "loop", limit: 500 })).filter((r) => r.id === id)).toHaveLength(1);
    await decide(id, "claim", "reject", { reason: "done" });
    await instance.waitForStatus("complete");
  });

  it.each([
    ["not JSON", "{nope", "invalid_json", "body"],
    ["an unknown field", JSON.stringify({ idd: "x" }), "invalid_request", "body"],
    ["a bad id", JSON.stringify({ id: "Bad Id!" }), "invalid_request", "body.id"],
  ])("answers 400 for a start body with %s, naming the field", async (_what, body, code, path) => {
    const response = await api("/api/jobs/loop/runs", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code, path });
  });

  it("answers 400 for a rejection without a reason and a bad query", async () => {
    const reject = await api("/api/runs/x/gates/claim/reject", { method: "POST", json: {} });
    expect([400, 404]).toContain(reject.status);
    const id = uniqueId("noreason");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    const response = await decide(id, "claim", "reject", {});
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ path: "body.reason" });
    const badQuery = await api("/api/runs?limit=0");
    expect(badQuery.status).toBe(400);
    expect((await errorOf(badQuery)).path).toBe("query.limit");
    await decide(id, "claim", "reject", { reason: "done" });
    await instance.waitForStatus("complete");
  });

  it("answers 404 for an unknown run or gate", async () => {
    expect((await api("/api/runs/no-such-run")).status).toBe(404);
    expect((await decide("no-such-run", "claim", "approve")).status).toBe(404);
    const id = uniqueId("nogate");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    const response = await decide(id, "dns", "approve");
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toMatchObject({ code: "not_found", path: "gate" });
    expect((await decide(id, "bogus", "approve")).status).toBe(404);
    await decide(id, "claim", "reject", { reason: "done" });
    await instance.waitForStatus("complete");
  });

  it("decides a gate once: the second approval gets 409", async () => {
    const id = uniqueId("twice");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    expect((await decide(id, "claim", "approve", { by: "approver-1" })).status).toBe(200);
    const second = await decide(id, "claim", "approve", { by: "approver-2" });
    expect(second.status).toBe(409);
    expect((await errorOf(second)).code).toBe("gate_not_pending");
    await instance.waitForStatus("complete");
    const detail = (await (await api(`/api/runs/${id}`)).json()) as { gates: Array<{ decidedBy: string }> };
    expect(detail.gates[0]?.decidedBy).toBe("approver-1");
  });

  it("refuses an approval bound to a different view than the one on record", async () => {
    const id = uniqueId("shown");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    const stale = await decide(id, "claim", "approve", { shownHash: "sha256:stale" });
    expect(stale.status).toBe(409);
    expect((await errorOf(stale)).code).toBe("shown_changed");
    const detail = (await (await api(`/api/runs/${id}`)).json()) as {
      gates: Array<{ shownHash: string; status: string }>;
    };
    expect(detail.gates[0]?.status).toBe("pending");
    expect((await decide(id, "claim", "approve", { shownHash: detail.gates[0]!.shownHash })).status).toBe(
      200,
    );
    await instance.waitForStatus("complete");
  });

  it("serves a run, its events and its stored report", async () => {
    const id = uniqueId("read");
    await using instance = await startRun("loop", id, { buggyRounds: 1 });
    await waitForRun(id, inState("awaitingClaim"));
    const detail = (await (await api(`/api/runs/${id}`)).json()) as {
      run: { state: string; budgets: { spent: { iterations: number } }; reportRef: string };
    };
    expect(detail.run.state).toBe("awaitingClaim");
    expect(detail.run.budgets.spent.iterations).toBe(2);
    const events = (await (await api(`/api/runs/${id}/events`)).json()) as {
      events: Array<{ type: string; seq: number }>;
    };
    expect(events.events[0]?.type).toBe("run.started");
    const after = (await (await api(`/api/runs/${id}/events?after=${events.events[0]!.seq}`)).json()) as {
      events: unknown[];
    };
    expect(after.events).toHaveLength(events.events.length - 1);
    const report = (await (
      await api(`/api/runs/${id}/artifacts/${encodeURIComponent(detail.run.reportRef)}`)
    ).json()) as { body: string };
    expect(JSON.parse(report.body)).toMatchObject({ passed: true });
    await decide(id, "claim", "reject", { reason: "done" });
    await instance.waitForStatus("complete");
  });

  it("refuses to cancel a finished run", async () => {
    const id = uniqueId("cancel-done");
    await using instance = await startRun("loop", id, { buggyRounds: 99 });
    await instance.waitForStatus("complete");
    await waitForRun(id, (r) => r.status === "final");
    expect((await api(`/api/runs/${id}/cancel`, { method: "POST", json: {} })).status).toBe(409);
    expect((await api(`/api/runs/nope/cancel`, { method: "POST", json: {} })).status).toBe(404);
  });
});
