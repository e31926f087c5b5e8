/**
 * The inbox's Resume button, through the real Worker and real run Workflows: shown on a run that
 * failed on infrastructure to a person who may start runs, posted with its CSRF token from the
 * same site only, and the run goes on from its last good step; refused (409) once it runs.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { stepPolicy } from "../../src/run/step-policy.ts";
import { getRun } from "../../src/store/runs.ts";
import {
  api,
  inState,
  rejectAtClaim,
  signOff,
  startRun,
  uniqueId,
  waitForRun,
  watchRun,
} from "../run/harness.ts";

beforeAll(signOff);

const page = async (id: string, headers: Record<string, string> = {}) =>
  (await api(`/inbox/runs/${id}`, { headers })).text();
const csrfOf = (markup: string) =>
  /action="[^"]*\/resume">\s*<input type="hidden" name="csrf" value="([^"]+)"/.exec(markup)?.[1];

function post(id: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return api(`/inbox/runs/${id}/resume`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

describe("the inbox's Resume button", () => {
  it("resumes a run that failed on infrastructure, from its own form only", async () => {
    const id = uniqueId("inbox-resume");
    await using first = await startRun("loop", id, {
      outages: { "deploy#1": stepPolicy("deploy").retries.limit + 1 },
    });
    await using second = await watchRun(`${id}_R1`);
    await first.waitForStatus("complete");
    await waitForRun(id, (r) => r.status === "final");

    const markup = await page(id);
    expect(markup).toMatch(/Failed on infrastructure/);
    expect(markup).toMatch(/outage, in deploying/);
    const csrf = csrfOf(markup);
    expect(csrf).toBeDefined();

    // A viewer sees no button, and a post from elsewhere, without the token, or as a viewer is refused.
    const minted = await api("/api/tokens", {
      method: "POST",
      json: { identity: "vic@example.com", roles: ["viewer"] },
    });
    const viewer = { authorization: `Bearer ${((await minted.json()) as { token: string }).token}` };
    expect(csrfOf(await page(id, viewer))).toBeUndefined();
    expect((await post(id, {})).status).toBe(403);
    expect((await post(id, { csrf: csrf! }, { origin: "https://elsewhere.example" })).status).toBe(403);
    expect((await post(id, { csrf: csrf! }, viewer)).status).toBe(403);
    expect(await getRun(env.DB, id)).toMatchObject({ state: "failed", resumes: 0 });

    const resumed = await post(id, { csrf: csrf! });
    expect(resumed.status).toBe(303);
    expect(resumed.headers.get("location")).toBe(`/inbox/runs/${id}?resumed=deploying`);
    await waitForRun(id, inState("awaitingClaim"));
    const after = await (await api(`/inbox/runs/${id}?resumed=deploying`)).text();
    expect(after).toMatch(/Resumed at deploying/);
    expect(after).toMatch(/run\.resumed<\/strong> → deploying/);
    expect(csrfOf(after)).toBeUndefined();

    // The same form again: the run is not failed any more.
    const again = await post(id, { csrf: csrf! });
    expect(again.status).toBe(409);
    expect(again.headers.get("x-nightshift-refusal")).toBe("not_failed");
    await rejectAtClaim(id, second);
  }, 30_000);
});
