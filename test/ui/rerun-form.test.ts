/**
 * The inbox's Run again button, through the real Worker and real run Workflows: shown on a run
 * that has ended to a person who may start runs (not while it runs, not to a viewer), posted with
 * its CSRF token from the same site only; it starts a new run of the same job with the same input
 * and lands on that run's page, whose timeline names the run it repeats.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { listEvents } from "../../src/store/events.ts";
import { listRuns } from "../../src/store/runs.ts";
import { api, inState, rejectAtClaim, signOff, startRun, uniqueId, waitForRun } from "../run/harness.ts";

beforeAll(signOff);

const page = async (id: string, headers: Record<string, string> = {}) =>
  (await api(`/inbox/runs/${id}`, { headers })).text();
const csrfOf = (markup: string) =>
  /action="[^"]*\/rerun">\s*<input type="hidden" name="csrf" value="([^"]+)"/.exec(markup)?.[1];

function post(id: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return api(`/inbox/runs/${id}/rerun`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

describe("the inbox's Run again button", () => {
  it("starts the same job with the same input for a run that ended, from its own form only", async () => {
    const id = uniqueId("inbox-rerun");
    await using first = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    expect(csrfOf(await page(id))).toBeUndefined(); // still going: no button
    await rejectAtClaim(id, first);

    const markup = await page(id);
    expect(markup).toMatch(/Run again/);
    const csrf = csrfOf(markup);
    expect(csrf).toBeDefined();

    const minted = await api("/api/tokens", {
      method: "POST",
      json: { identity: "vee@example.com", roles: ["viewer"] },
    });
    const viewer = { authorization: `Bearer ${((await minted.json()) as { token: string }).token}` };
    expect(csrfOf(await page(id, viewer))).toBeUndefined();
    const before = (await listRuns(env.DB, { job: "loop", limit: 500 })).length;
    expect((await post(id, {})).status).toBe(403);
    expect((await post(id, { csrf: csrf! }, { origin: "https://elsewhere.example" })).status).toBe(403);
    expect((await post(id, { csrf: csrf! }, viewer)).status).toBe(403);
    expect((await listRuns(env.DB, { job: "loop", limit: 500 })).length).toBe(before);

    const started = await post(id, { csrf: csrf! });
    expect(started.status).toBe(303);
    const location = started.headers.get("location")!;
    const newId = /^\/inbox\/runs\/([^?]+)\?rerunOf=/.exec(location)?.[1];
    expect(newId).toBeDefined();
    expect(newId).not.toBe(id);
    await waitForRun(newId!, inState("awaitingClaim"));
    const after = await (await api(location)).text();
    expect(after).toMatch(new RegExp(`Started again from run ${id}`));
    const startedEvent = (await listEvents(env.DB, newId!)).find((e) => e.type === "run.started");
    expect(startedEvent?.data_json).toMatchObject({ rerunOf: id });
    const decided = await api(`/api/runs/${newId}/gates/claim/reject`, {
      method: "POST",
      json: { reason: "test done" },
    });
    expect(decided.status).toBe(200);
    await waitForRun(newId!, (r) => r.status === "final");
  }, 30_000);
});
