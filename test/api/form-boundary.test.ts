/**
 * Issue 15, items 5, 6 (visibility) and 7, through the real Worker entry: the
 * API is not a form target (bearer credentials only, exact Origin, JSON bodies,
 * a size limit in bytes), roles are not self-granted upward, automation
 * identities are not for people, and the claim URL reaches only those who may
 * decide the claim gate. Every refusal leaves the gate pending.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../src/store/people.ts";
import { api, decide, inState, signOff, startRun, TOKEN, uniqueId, waitForRun } from "../run/harness.ts";

beforeAll(signOff);

const ORIGIN = "http://nightshift.test";

/** A request with exactly these headers (no bearer added), as a browser would send it. */
function raw(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { redirect: "manual", ...init }));
}

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string; path?: string } }).error;
}

async function tokenFor(identity: string, roles: string[], as = TOKEN) {
  const response = await api("/api/tokens", {
    method: "POST",
    json: { identity, roles },
    headers: { authorization: `Bearer ${as}` },
  });
  return { response, body: (await response.clone().json()) as { token: string; id: string } };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function claimGateOf(id: string) {
  const body = (await (await api(`/api/runs/${id}`)).json()) as {
    gates: Array<{ kind: string; status: string }>;
  };
  return body.gates.filter((g) => g.kind === "claim").at(-1)!;
}

/** A run waiting at its claim gate, and its claim URL as the operator sees it. */
async function atClaim(prefix: string) {
  const id = uniqueId(prefix);
  const instance = await startRun("loop", id);
  await waitForRun(id, inState("awaitingClaim"));
  const run = (await (await api(`/api/runs/${id}`)).json()) as { run: { account: { claimUrl: string } } };
  const claimUrl = run.run.account.claimUrl;
  expect(claimUrl).toMatch(/^https:\/\/.+\/claim\//);
  return {
    id,
    claimUrl,
    async [Symbol.asyncDispose]() {
      await decide(id, "claim", "reject", { reason: "done" });
      await instance.waitForStatus("complete");
      await instance[Symbol.asyncDispose]();
    },
  };
}

describe("the API is not a form target", () => {
  it.each([
    ["text/plain", '{"reason":"from a form"}'],
    ["application/x-www-form-urlencoded", "reason=from+a+form"],
    [
      "multipart/form-data; boundary=x",
      '--x\r\nContent-Disposition: form-data; name="reason"\r\n\r\nhi\r\n--x--',
    ],
  ])("answers 415 for a %s body and leaves the gate pending", async (type, body) => {
    await using run = await atClaim("type");
    const response = await api(`/api/runs/${run.id}/gates/claim/approve`, {
      method: "POST",
      headers: { "content-type": type },
      body,
    });
    expect(response.status).toBe(415);
    expect(await errorOf(response)).toMatchObject({
      code: "unsupported_media_type",
      path: "headers.content-type",
    });
    expect((await claimGateOf(run.id)).status).toBe("pending");
  });

  it("answers 415 for a body sent without any content type", async () => {
    await using run = await atClaim("notype");
    const request = new Request(`${ORIGIN}/api/runs/${run.id}/gates/claim/approve`, {
      method: "POST",
      headers: bearer(TOKEN),
      body: new Blob(['{"reason":"x"}']),
    });
    expect(request.headers.get("content-type")).toBeNull();
    const response = await exports.default.fetch(request);
    expect(response.status).toBe(415);
    expect((await claimGateOf(run.id)).status).toBe("pending");
  });

  it("counts the body limit in bytes: multi-byte text over 256 KiB is 413 though it has fewer characters", async () => {
    const euros = (n: number) => JSON.stringify({ input: { note: "€".repeat(n) } });
    const over = euros(100_000); // 100,000 characters, 300,000+ bytes
    expect(over.length).toBeLessThan(256 * 1024);
    expect(new TextEncoder().encode(over).byteLength).toBeGreaterThan(256 * 1024);
    const tooLarge = await api("/api/jobs/loop/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: over,
    });
    expect(tooLarge.status).toBe(413);
    expect((await errorOf(tooLarge)).code).toBe("payload_too_large");
    const under = euros(80_000); // 240,000+ bytes: under the limit, so parsed (and refused for its id)
    const parsed = await api("/api/jobs/loop/runs", {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: under.replace("{", '{"id":"Bad Id!",'),
    });
    expect(parsed.status).toBe(400);
    expect((await errorOf(parsed)).path).toBe("body.id");
  });

  it("refuses the inbox's sign-in cookie on /api (401) while the inbox still accepts it", async () => {
    await using run = await atClaim("cookie");
    const cookie = { cookie: `nightshift_session=${TOKEN}` };
    const refused = await raw(`/api/runs/${run.id}/gates/claim/approve`, {
      method: "POST",
      headers: { ...cookie, "content-type": "application/json" },
      body: "{}",
    });
    expect(refused.status).toBe(401);
    expect((await errorOf(refused)).message).toMatch(/cookie is not a credential for \/api/);
    expect((await raw(`/api/runs/${run.id}`, { headers: cookie })).status).toBe(401);
    expect((await claimGateOf(run.id)).status).toBe("pending");
    const page = await raw(`/inbox/runs/${run.id}`, { headers: cookie });
    expect(page.status).toBe(200);
  });

  it("refuses a request from another origin, even with a valid bearer token (403)", async () => {
    await using run = await atClaim("origin");
    for (const origin of ["http://nightshift.test:8788", "http://127.0.0.1:9000", "null"]) {
      const response = await api(`/api/runs/${run.id}/gates/claim/approve`, {
        method: "POST",
        json: {},
        headers: { origin },
      });
      expect(response.status).toBe(403);
      expect((await errorOf(response)).path).toBe("headers.origin");
    }
    expect((await claimGateOf(run.id)).status).toBe("pending");
    const sameOrigin = await api(`/api/runs/${run.id}`, { headers: { origin: ORIGIN } });
    expect(sameOrigin.status).toBe(200);
  });
});

describe("roles are not self-granted upward", () => {
  it("refuses an admin minting the legal role for itself, a token or a person, and its sign-off", async () => {
    const admin = await tokenFor("adele@example.com", ["admin", "approver"]);
    expect(admin.response.status).toBe(201);
    const as = bearer(admin.body.token);
    const self = await api("/api/tokens", { method: "POST", json: { roles: ["legal"] }, headers: as });
    expect(self.status).toBe(403);
    expect((await errorOf(self)).path).toBe("body.roles");
    const other = await api("/api/tokens", {
      method: "POST",
      json: { identity: "puppet@example.com", roles: ["legal", "viewer"] },
      headers: as,
    });
    expect(other.status).toBe(403);
    const person = await api("/api/people/adele@example.com", {
      method: "PUT",
      json: { roles: ["admin", "legal"] },
      headers: as,
    });
    expect(person.status).toBe(403);
    const people = (await (await api("/api/people")).json()) as { people: Array<{ email: string }> };
    expect(people.people.map((p) => p.email)).not.toContain("adele@example.com");
    const before = ((await (await api("/api/signoffs")).json()) as { signoffs: unknown[] }).signoffs.length;
    const signoff = await api("/api/signoffs", {
      method: "POST",
      json: { apiBase: "https://api.example.test/client/v4" },
      headers: as,
    });
    expect(signoff.status).toBe(403);
    const after = ((await (await api("/api/signoffs")).json()) as { signoffs: unknown[] }).signoffs.length;
    expect(after).toBe(before);
    // The admin still grants what is not legal.
    expect((await tokenFor("vince@example.com", ["viewer"], admin.body.token)).response.status).toBe(201);
  });

  it("lets legal come from configuration (bootstrap) and from a principal holding legal", async () => {
    const legal = await tokenFor("lena@example.com", ["legal"]);
    expect(legal.response.status).toBe(201);
    const own = await tokenFor("lena@example.com", ["legal"], legal.body.token);
    expect(own.response.status).toBe(201);
    const person = await api("/api/people/lena@example.com", { method: "PUT", json: { roles: ["legal"] } });
    expect(person.status).toBe(200);
  });
});

describe("automation identities are reserved for automation", () => {
  const reserved = [
    "webhook:github",
    "webhook:generic",
    "nightshift (local mode, automatic)",
    "sweeper",
    "system",
  ];

  it.each(reserved)("refuses a token for %s (400), even from the bootstrap token", async (identity) => {
    const { response } = await tokenFor(identity, ["approver"]);
    expect(response.status).toBe(400);
  });

  it.each(reserved)("refuses a decision or sign-off whose `by` claims %s", async (by) => {
    await using run = await atClaim("by");
    const refused = await decide(run.id, "claim", "approve", { by });
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).path).toBe("body.by");
    const signoff = await api("/api/signoffs", {
      method: "POST",
      json: { apiBase: "https://api.example.test/client/v4", by },
    });
    expect(signoff.status).toBe(403);
    expect((await claimGateOf(run.id)).status).toBe("pending");
  });

  it("treats a stored token for an automation identity as no credential (401)", async () => {
    const { secret } = await createToken(env.DB, {
      identity: "webhook:github",
      roles: ["approver"],
      label: "minted before the names were reserved",
      createdBy: "admin",
      at: Date.now(),
      expiresAt: null,
    });
    await using run = await atClaim("oldtoken");
    const response = await api(`/api/runs/${run.id}/gates/claim/approve`, {
      method: "POST",
      json: {},
      headers: bearer(secret),
    });
    expect(response.status).toBe(401);
    expect((await claimGateOf(run.id)).status).toBe("pending");
  });
});

describe("the claim URL reaches only those who may decide the claim gate", () => {
  it("hides it from a viewer in the run, the run list, the gates, the events and the inbox pages", async () => {
    await using run = await atClaim("viewer-claim");
    const viewer = await tokenFor("vivian@example.com", ["viewer"]);
    const as = bearer(viewer.body.token);
    const read = async (path: string, headers: Record<string, string> = as) => {
      const response = await api(path, { headers });
      expect(response.status).toBe(200);
      return response.text();
    };
    const runText = await read(`/api/runs/${run.id}`);
    const listText = await read("/api/runs?limit=500");
    const gatesText = await read("/api/gates?status=pending");
    const eventsText = await read(`/api/runs/${run.id}/events`);
    for (const text of [runText, listText, gatesText, eventsText]) expect(text).not.toContain(run.claimUrl);
    const view = JSON.parse(runText) as {
      run: { account: { id: string; claimUrl: string | null; claimUrlHidden?: boolean } };
      gates: Array<{ kind: string; shown: { claimUrl: unknown; claimUrlHidden?: boolean } }>;
    };
    expect(view.run.account).toMatchObject({ claimUrl: null, claimUrlHidden: true });
    expect(view.run.account.id).toBeTruthy();
    expect(view.gates.find((g) => g.kind === "claim")?.shown).toMatchObject({
      claimUrl: null,
      claimUrlHidden: true,
    });
    const cookie = { cookie: `nightshift_session=${viewer.body.token}` };
    const gatePage = await raw(`/inbox/runs/${run.id}/gates/claim-1`, { headers: cookie });
    expect(gatePage.status).toBe(200);
    const gateHtml = await gatePage.text();
    expect(gateHtml).toContain('id="claim-url-hidden"');
    expect(gateHtml).not.toContain(run.claimUrl);
    const runPage = await raw(`/inbox/runs/${run.id}`, { headers: cookie });
    expect(await runPage.text()).not.toContain(run.claimUrl);
  });

  it("shows it to an approver of the claim gate, but never in the audit events", async () => {
    await using run = await atClaim("approver-claim");
    const approver = await tokenFor("april@example.com", ["approver"]);
    const as = bearer(approver.body.token);
    const view = (await (await api(`/api/runs/${run.id}`, { headers: as })).json()) as {
      run: { account: { claimUrl: string } };
      gates: Array<{ kind: string; shown: { claimUrl: string } }>;
    };
    expect(view.run.account.claimUrl).toBe(run.claimUrl);
    expect(view.gates.find((g) => g.kind === "claim")?.shown.claimUrl).toBe(run.claimUrl);
    const stored = await env.DB.prepare("SELECT data_json FROM events WHERE run_id = ?1")
      .bind(run.id)
      .all<{ data_json: string | null }>();
    expect(stored.results.some((e) => (e.data_json ?? "").includes(run.claimUrl))).toBe(true);
    for (const token of [approver.body.token, TOKEN]) {
      const events = await (await api(`/api/runs/${run.id}/events`, { headers: bearer(token) })).text();
      expect(events).not.toContain(run.claimUrl);
    }
    const page = await raw(`/inbox/runs/${run.id}/gates/claim-1`, {
      headers: { cookie: `nightshift_session=${approver.body.token}` },
    });
    expect(await page.text()).toContain(run.claimUrl);
  });
});
