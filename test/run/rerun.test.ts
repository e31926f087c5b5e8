/**
 * Re-running a finished run through the API: a new run of the same job with the same input, from
 * the start, whose `run.started` names the run it repeats; a run still going, an unknown run, a
 * repeated id and a viewer are refused, and nothing is started for them.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { listEvents } from "../../src/store/events.ts";
import { getRun, listRuns } from "../../src/store/runs.ts";
import { api, inState, rejectAtClaim, signOff, startRun, uniqueId, waitForRun, watchRun } from "./harness.ts";

beforeAll(signOff);

async function rerun(id: string, json: Record<string, unknown> = {}) {
  const response = await api(`/api/runs/${id}/rerun`, { method: "POST", json });
  return {
    status: response.status,
    body: (await response.json()) as {
      run: { id: string; job: string };
      rerunOf: string;
      error: { code: string; reason?: string; path?: string; message: string };
    },
  };
}

describe("re-running a run", () => {
  it("starts the same job with the same input from the start, and names the run it repeats", async () => {
    const firstId = uniqueId("rerun-src");
    const again = uniqueId("rerun-new");
    const fake = { deployFailures: { "deploy#1": "upload_rejected" } };
    await using first = await startRun("loop", firstId, fake);

    await first.waitForStatus("complete");
    expect((await waitForRun(firstId, (r) => r.status === "final")).state).toBe("failed");
    await using second = await watchRun(again);
    const started = await rerun(firstId, { id: again });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ run: { id: again, job: "loop" }, rerunOf: firstId });
    await second.waitForStatus("complete");
    // Same input: the same scripted deploy failure ends it the same way.
    const row = await waitForRun(again, (r) => r.status === "final");
    expect(row.state).toBe("failed");
    expect(row.input_json).toEqual((await getRun(env.DB, firstId))?.input_json);
    const startedEvent = (await listEvents(env.DB, again)).find((e) => e.type === "run.started");
    expect(startedEvent?.data_json).toMatchObject({ rerunOf: firstId, job: "loop" });

    // The same new id again: refused, still one run with it.
    const twice = await rerun(firstId, { id: again });
    expect([twice.status, twice.body.error.path]).toEqual([409, "body.id"]);
    expect((await listRuns(env.DB, { job: "loop", limit: 500 })).filter((r) => r.id === again)).toHaveLength(
      1,
    );
  });

  it("refuses a run still waiting, then re-runs it once rejected; refuses an unknown run, a bad body and a viewer", async () => {
    const id = uniqueId("rerun-rejected");
    await using instance = await startRun("loop", id);
    const newId = uniqueId("rerun-of-rejected");
    // Waiting at its gate is still going: refused, nothing started.
    await waitForRun(id, inState("awaitingClaim"));
    const early = await rerun(id, { id: newId });
    expect([early.status, early.body.error.reason]).toEqual([409, "not_final"]);
    expect(early.body.error.message).toMatch(/waiting \(awaitingClaim\); cancel it or wait/);
    expect(await getRun(env.DB, newId)).toBeNull();
    await rejectAtClaim(id, instance);
    await using next = await watchRun(newId);
    expect((await rerun(id, { id: newId })).status).toBe(201);
    await waitForRun(newId, inState("awaitingClaim"));
    await rejectAtClaim(newId, next);

    expect((await rerun("no-such-run")).status).toBe(404);
    const bad = await rerun(id, { idd: "x" });
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_request"]);
    const minted = await api("/api/tokens", {
      method: "POST",
      json: { identity: "vic@example.com", roles: ["viewer"] },
    });
    const { token } = (await minted.json()) as { token: string };
    const before = (await listRuns(env.DB, { limit: 500 })).length;
    const denied = await api(`/api/runs/${id}/rerun`, {
      method: "POST",
      json: {},
      headers: { authorization: `Bearer ${token}` },
    });
    expect(denied.status).toBe(403);
    expect((await listRuns(env.DB, { limit: 500 })).length).toBe(before);
  });
});
