/**
 * Who may approve, through the real Worker: personal tokens with roles, the
 * bootstrap token, Cloudflare Access JWTs, CSRF on the inbox forms and
 * single-use signed links. Every refusal leaves the gate pending.
 */
import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createSite } from "../../src/site.ts";
import type { Env } from "../../src/env.ts";
import { setPerson } from "../../src/store/people.ts";
import { registry } from "../support/test-worker.ts";
import { api, decide, inState, signOff, startRun, uniqueId, waitForRun } from "../run/harness.ts";

beforeAll(signOff);

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

async function tokenFor(identity: string, roles: string[]): Promise<{ token: string; id: string }> {
  const response = await api("/api/tokens", { method: "POST", json: { identity, roles } });
  expect(response.status).toBe(201);
  return (await response.json()) as { token: string; id: string };
}

const as = (token: string) => ({ authorization: `Bearer ${token}` });

async function gateOf(id: string) {
  const body = (await (await api(`/api/runs/${id}`)).json()) as {
    gates: Array<{ status: string; decidedBy: string | null; shownHash: string }>;
  };
  return body.gates.at(-1)!;
}

/** The hidden fields of the inbox's decision form. */
function formFields(page: string): { csrf: string; viewHash: string } {
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  const viewHash = /name="viewHash" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf || !viewHash) throw new Error(`no decision form on the page:\n${page.slice(0, 2000)}`);
  return { csrf, viewHash };
}

function form(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  };
}

describe("roles and personal tokens", () => {
  it("lets a viewer read but not approve (403), and leaves the gate pending", async () => {
    const viewer = await tokenFor("vera@example.com", ["viewer"]);
    const id = uniqueId("viewer");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    expect((await api(`/api/runs/${id}`, { headers: as(viewer.token) })).status).toBe(200);
    const refused = await api(`/api/runs/${id}/gates/claim/approve`, {
      method: "POST",
      json: {},
      headers: as(viewer.token),
    });
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe("forbidden");
    const startRefused = await api("/api/jobs/loop/runs", {
      method: "POST",
      json: {},
      headers: as(viewer.token),
    });
    expect(startRefused.status).toBe(403);
    expect((await gateOf(id)).status).toBe("pending");
    await decide(id, "claim", "reject", { reason: "done" });
    await instance.waitForStatus("complete");
  });

  it("records the token's identity as the decider, and refuses a `by` naming someone else", async () => {
    const approver = await tokenFor("ann@example.com", ["approver"]);
    const id = uniqueId("approver");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    const asSomeoneElse = await api(`/api/runs/${id}/gates/claim/approve`, {
      method: "POST",
      json: { by: "someone-else", reason: "ok" },
      headers: as(approver.token),
    });
    expect(asSomeoneElse.status).toBe(403);
    expect((await gateOf(id)).status).toBe("pending");
    const approved = await api(`/api/runs/${id}/gates/claim/approve`, {
      method: "POST",
      json: { by: "ann@example.com", reason: "ok" },
      headers: as(approver.token),
    });
    expect(approved.status).toBe(200);
    await instance.waitForStatus("complete");
    expect((await gateOf(id)).decidedBy).toBe("ann@example.com");
    const { events } = (await (await api(`/api/runs/${id}/events`)).json()) as {
      events: Array<{ type: string; actor: string; data: { via?: string; shownHash?: string } }>;
    };
    const decision = events.find((e) => e.type === "gate.approved" && e.data.via);
    expect(decision).toMatchObject({ actor: "ann@example.com", data: { via: "token" } });
    expect(decision?.data.shownHash).toMatch(/^sha256:/);
  });

  it("keeps the tos gate for the legal role, and the claim gate for approvers", async () => {
    const admin = await tokenFor("ada@example.com", ["approver", "admin"]);
    const legal = await tokenFor("lee@example.com", ["legal"]);
    await env.DB.prepare("DELETE FROM signoffs").run();
    const id = uniqueId("tos-roles");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingTos"));
    const adminRefused = await api(`/api/runs/${id}/gates/tos/approve`, {
      method: "POST",
      json: {},
      headers: as(admin.token),
    });
    expect(adminRefused.status).toBe(403);
    expect((await errorOf(adminRefused)).message).toMatch(/legal role/);
    const signed = await api(`/api/runs/${id}/gates/tos/approve`, {
      method: "POST",
      json: { reason: "terms reviewed" },
      headers: as(legal.token),
    });
    expect(signed.status).toBe(200);
    await waitForRun(id, inState("awaitingClaim"));
    const legalRefused = await api(`/api/runs/${id}/gates/claim/approve`, {
      method: "POST",
      json: {},
      headers: as(legal.token),
    });
    expect(legalRefused.status).toBe(403);
    expect((await errorOf(legalRefused)).message).toMatch(/needs one of: approver/);
    const ok = await api(`/api/runs/${id}/gates/claim/approve`, {
      method: "POST",
      json: {},
      headers: as(admin.token),
    });
    expect(ok.status).toBe(200);
    await instance.waitForStatus("complete");
    await env.DB.prepare("DELETE FROM signoffs").run();
    await signOff();
  });

  it("refuses a revoked token (401) and lets nobody but an admin mint tokens for others", async () => {
    const viewer = await tokenFor("vic@example.com", ["viewer"]);
    const forOthers = await api("/api/tokens", {
      method: "POST",
      json: { identity: "boss@example.com", roles: ["admin"] },
      headers: as(viewer.token),
    });
    expect(forOthers.status).toBe(403);
    const escalate = await api("/api/tokens", {
      method: "POST",
      json: { roles: ["approver"] },
      headers: as(viewer.token),
    });
    expect(escalate.status).toBe(403);
    expect((await api(`/api/tokens/${viewer.id}`, { method: "DELETE" })).status).toBe(200);
    const after = await api("/api/runs", { headers: as(viewer.token) });
    expect(after.status).toBe(401);
    expect((await api(`/api/tokens/${viewer.id}`, { method: "DELETE" })).status).toBe(409);
  });

  it("never lets the run's automation decide, even through the bootstrap token's `by`", async () => {
    const id = uniqueId("automation");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    const refused = await decide(id, "claim", "approve", { by: "system" });
    expect(refused.status).toBe(403);
    const tokenForSystem = await api("/api/tokens", {
      method: "POST",
      json: { identity: "sweeper", roles: ["approver"] },
    });
    expect(tokenForSystem.status).toBe(400);
    expect((await gateOf(id)).status).toBe("pending");
    await decide(id, "claim", "reject", { reason: "done" });
    await instance.waitForStatus("complete");
  });
});

describe("Cloudflare Access", () => {
  const TEAM = "nightshift-test.cloudflareaccess.com";
  const AUD = "aud-tag-for-tests";
  let accessEnv: Env;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  const app = createSite({ registry });

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256", { extractable: true });
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair("RS256")).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    accessEnv = {
      ...(env as unknown as Env),
      ACCESS_TEAM_DOMAIN: TEAM,
      ACCESS_AUD: AUD,
      ACCESS_JWKS: JSON.stringify({ keys: [jwk] }),
    };
    await setPerson(env.DB, { email: "amy@example.com", roles: ["approver"], by: "test", at: Date.now() });
  });

  function jwt(options: { key?: CryptoKey; aud?: string; expiresIn?: number; email?: string } = {}) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ email: options.email ?? "Amy@Example.com" })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(`https://${TEAM}`)
      .setAudience(options.aud ?? AUD)
      .setIssuedAt(now - 60)
      .setExpirationTime(now + (options.expiresIn ?? 600))
      .sign(options.key ?? privateKey);
  }

  const me = async (assertion: string) =>
    app.request("/api/me", { headers: { "cf-access-jwt-assertion": assertion } }, accessEnv);

  it("takes the verified email as the identity and its roles from the people table", async () => {
    const response = await me(await jwt());
    expect(response.status).toBe(200);
    expect(((await response.json()) as { me: unknown }).me).toMatchObject({
      identity: "amy@example.com",
      roles: ["approver"],
      via: "access",
    });
  });

  it.each([
    ["forged (signed by another key)", () => jwt({ key: otherKey }), /signature/],
    ["expired", () => jwt({ expiresIn: -30 }), /expired/],
    ["for another application", () => jwt({ aud: "someone-else" }), /aud/],
    ["not a JWT at all", async () => "not.a.jwt", /not valid/],
  ])("answers 401 for an Access token that is %s", async (_what, make, message) => {
    const response = await me(await make());
    expect(response.status).toBe(401);
    const error = await errorOf(response);
    expect(error.code).toBe("unauthorized");
    expect(error.message).toMatch(message);
  });

  it("lets a signed-in person with no role see nothing (403)", async () => {
    const response = await me(await jwt({ email: "stranger@example.com" }));
    expect(response.status).toBe(403);
  });
});

describe("inbox forms and signed links", () => {
  it("refuses a decision form without its CSRF token (403) and decides nothing", async () => {
    const id = uniqueId("csrf");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    const page = await (await api(`/inbox/runs/${id}/gates/claim`)).text();
    const { viewHash } = formFields(page);
    const refused = await api(`/inbox/runs/${id}/gates/claim`, form({ decision: "approve", viewHash }));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/CSRF/);
    const forged = await api(
      `/inbox/runs/${id}/gates/claim`,
      form({ decision: "approve", viewHash, csrf: `${Date.now()}.forged` }),
    );
    expect(forged.status).toBe(403);
    const crossSite = await api(
      `/inbox/runs/${id}/gates/claim`,
      form({ decision: "approve", ...formFields(page) }, { origin: "https://evil.example" }),
    );
    expect(crossSite.status).toBe(403);
    expect((await gateOf(id)).status).toBe("pending");
    const ok = await api(`/inbox/runs/${id}/gates/claim`, form({ decision: "approve", ...formFields(page) }));
    expect(ok.status).toBe(303);
    await instance.waitForStatus("complete");
    expect((await gateOf(id)).decidedBy).toBe("admin");
  });

  it("decides once through a signed link; the same link again answers 410", async () => {
    const id = uniqueId("link");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    const issued = await api(`/api/runs/${id}/gates/claim/links`, {
      method: "POST",
      json: { to: "on-call@example.com" },
    });
    expect(issued.status).toBe(201);
    const { url } = (await issued.json()) as { url: string };
    const path = new URL(url).pathname;
    const noCookie = { headers: { authorization: "" } };
    const opened = await api(path, noCookie);
    expect(opened.status).toBe(200);
    const fields = formFields(await opened.text());
    const used = await api(path, {
      ...form({ decision: "reject", reason: "wrong worker", ...fields }),
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "" },
    });
    expect(used.status).toBe(303);
    await instance.waitForStatus("complete");
    const gate = await gateOf(id);
    expect(gate).toMatchObject({ status: "rejected" });
    expect(gate.decidedBy).toMatch(/^on-call@example.com \(signed link lnk_/);
    const again = await api(path, {
      ...form({ decision: "approve", ...fields }),
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "" },
    });
    expect(again.status).toBe(410);
    const reopened = await api(path, noCookie);
    expect(reopened.status).toBe(410);
    expect(await reopened.text()).toMatch(/already used/);
  });

  it("refuses a forged link (403) and an expired one (410) with a page that says so", async () => {
    const id = uniqueId("link-expired");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    const { url } = (await (
      await api(`/api/runs/${id}/gates/claim/links`, { method: "POST", json: { ttlSeconds: 60 } })
    ).json()) as { url: string };
    const path = new URL(url).pathname;
    const later = createSite({ registry, now: () => Date.now() + 61_000 });
    const expired = await later.request(path, {}, env);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toMatch(/expired/);
    const forged = await api(`${path.slice(0, -4)}AAAA`, { headers: { authorization: "" } });
    expect(forged.status).toBe(403);
    await decide(id, "claim", "reject", { reason: "done" });
    await instance.waitForStatus("complete");
  });
});
