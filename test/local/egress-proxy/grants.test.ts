/**
 * Grants on the local egress proxy, through the orchestrator's own client
 * (src/adapters/egress/grants.ts) and plain HTTP: a real upstream server that
 * records what reaches it, the real proxy in between. The grant adds its token
 * in place of whatever the caller sent; revoked, expired and unknown grants
 * get 403; the admin API wants the admin secret; no token appears in the
 * proxy's log, its answers or its refusals. A capturing grant (a deploy step's)
 * takes a temporary account provisioned through it: the caller gets
 * placeholders, the admin the real token and claim URL, and only the exact
 * placeholder is swapped for that token.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PLACEHOLDER_CLAIM_URL } from "../../../src/ports/egress-grants.ts";
import { openGrant, readGrantCapture, revokeGrant } from "../../../src/adapters/egress/grants.ts";
import {
  type EgressLogEntry,
  type EgressProxy,
  startEgressProxy,
} from "../../../src/local/egress-proxy/index.ts";

const TOKEN = "cf-org-token-7d1c0a59e2";
const ADMIN = "admin-secret-4b9e";
const PLACEHOLDER = "placeholder-the-sandbox-sent";
/** What the upstream's provisioning call hands out: a temporary account's token and claim URL. */
const ACCOUNT_TOKEN = "emu_account-token-51f0c2d9a8b7";
const CLAIM_URL = "http://127.0.0.1:1/claim/claim-secret-0e6a91";
const ASSETS_JWT = "eyJhbGciOiJIUzI1NiJ9.assets-session.c2lnbmVk";
let provisioningAnswer: () => { status: number; body: string } = () => ({
  status: 200,
  body: JSON.stringify({
    success: true,
    errors: [],
    messages: [],
    result: {
      account: { id: "acc1", name: "quiet-fox", apiToken: ACCOUNT_TOKEN, expiresAt: "2030-01-01T00:00:00Z" },
      claim: { url: CLAIM_URL, expiresAt: "2030-01-01T00:00:00Z" },
    },
  }),
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let upstream: Server;
let upstreamUrl: string;
const seen: Seen[] = [];
let proxy: EgressProxy;
let clock = 1_000_000;
const heard: EgressLogEntry[] = [];
const config = () => ({ EGRESS_PROXY_URL: proxy.url, EGRESS_PROXY_SECRET: ADMIN });

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url === "/client/v4/provisioning/previews" && req.method === "POST") {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: "" });
      req.resume();
      const { status, body } = provisioningAnswer();
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body);
      return;
    }
    if (req.url?.endsWith("/duplex")) {
      // Answers each chunk as it arrives, before the request has ended: streaming both ways.
      res.writeHead(200, { "content-type": "text/plain" });
      req.on("data", (chunk: Buffer) => res.write(`ack:${chunk.toString()}\n`));
      req.on("end", () => res.end("done\n"));
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ success: true, echoed: body }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const address = upstream.address();
  upstreamUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  proxy = await startEgressProxy({
    keys: {},
    adminSecret: ADMIN,
    now: () => clock,
    onEntry: (entry) => heard.push({ ...entry }),
  });
});

afterAll(async () => {
  await proxy?.close();
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
});

async function grant(ttlMs = 60_000) {
  const opened = await openGrant(config(), { upstream: `${upstreamUrl}/client/v4`, token: TOKEN, ttlMs });
  if (!opened.ok) throw new Error(`grant refused: ${opened.error.message}`);
  return opened.value;
}

/** A raw request, so the path reaches the proxy exactly as written (fetch would normalise `..`). */
function rawRequest(
  url: string,
  path: string,
  chunks: string[] = [],
): Promise<{ status: number; body: string; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const base = new URL(url);
    const options = {
      host: base.hostname,
      port: base.port,
      path: `${base.pathname}${path}`,
      method: chunks.length ? "POST" : "GET",
    };
    const req = request(options, (res) => {
      let body = "";
      const lines: string[] = [];
      res.on("data", (d: Buffer) => {
        body += d.toString();
        lines.push(...d.toString().split("\n").filter(Boolean));
        // The next chunk goes out only once the previous one came back through the proxy.
        const next = chunks.shift();
        if (next !== undefined) req.write(next);
        else if (chunks.length === 0 && !req.writableEnded) req.end();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, lines }));
    });
    req.on("error", reject);
    if (chunks.length) {
      req.setHeader("transfer-encoding", "chunked");
      req.write(chunks.shift()!);
    } else req.end();
  });
}

describe("egress-proxy grants", () => {
  it("forwards under the grant's base URL with the token in place of the caller's credential", async () => {
    const { id, baseUrl, expiresAt } = await grant();
    expect(baseUrl).toBe(`${proxy.url}/__grant/${id}`);
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(expiresAt).toBe(clock + 60_000);

    const response = await fetch(`${baseUrl}/accounts/a1/workers/scripts/w?include=bindings`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${PLACEHOLDER}`,
        "x-api-key": PLACEHOLDER,
        "content-type": "application/json",
      },
      body: JSON.stringify({ script: "x" }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, echoed: '{"script":"x"}' });

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: "PUT",
      url: "/client/v4/accounts/a1/workers/scripts/w?include=bindings",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    });
    expect(seen[0]!.headers["x-api-key"]).toBeUndefined();
    expect(JSON.stringify(seen[0]!.headers)).not.toContain(PLACEHOLDER);
  });

  it("streams the request and the answer both ways", async () => {
    const { baseUrl } = await grant();
    const { status, lines } = await rawRequest(baseUrl, "/duplex", ["one", "two", "three"]);
    expect(status).toBe(200);
    expect(lines).toEqual(["ack:one", "ack:two", "ack:three", "done"]);
  });

  it("refuses a revoked grant with 403 and a JSON body", async () => {
    const { id, baseUrl } = await grant();
    expect(await revokeGrant(config(), id)).toEqual({ ok: true, value: { revoked: true } });
    const response = await fetch(`${baseUrl}/user/tokens/verify`);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: { code: "grant_revoked", message: expect.stringContaining("revoked") },
    });
    expect(seen).toEqual([]);
    // A second revoke finds nothing to revoke.
    expect(await revokeGrant(config(), id)).toEqual({ ok: true, value: { revoked: false } });
  });

  it("refuses an expired grant and an unknown one with 403", async () => {
    const { baseUrl } = await grant(5_000);
    expect((await fetch(`${baseUrl}/zones`)).status).toBe(200);
    clock += 5_000;
    const expired = await fetch(`${baseUrl}/zones`);
    expect(expired.status).toBe(403);
    expect(await expired.json()).toMatchObject({ error: { code: "grant_expired" } });
    const unknown = await fetch(`${proxy.url}/__grant/${"x".repeat(32)}/zones`);
    expect(unknown.status).toBe(403);
    expect(await unknown.json()).toMatchObject({ error: { code: "grant_unknown" } });
    expect(seen).toHaveLength(1);
  });

  it("keeps requests under the upstream's base path", async () => {
    const { baseUrl } = await grant();
    const escaped = await rawRequest(baseUrl, "/../../other");
    expect(escaped.status).toBe(403);
    expect(seen).toEqual([]);
  });

  it("wants the admin secret: a wrong one is 401, a missing configuration is no grant at all", async () => {
    const wrong = await openGrant(
      { ...config(), EGRESS_PROXY_SECRET: "not-the-secret" },
      { upstream: `${upstreamUrl}/client/v4`, token: TOKEN, ttlMs: 1_000 },
    );
    expect(wrong).toMatchObject({ ok: false, error: { code: "refused", status: 401 } });
    const unsigned = await fetch(`${proxy.url}/__egress/grants`, {
      method: "POST",
      body: JSON.stringify({ upstream: upstreamUrl, token: TOKEN, ttlMs: 1_000 }),
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: { code: "unauthorized" } });
    const deleteUnsigned = await fetch(`${proxy.url}/__egress/grants/anything`, { method: "DELETE" });
    expect(deleteUnsigned.status).toBe(401);

    const unconfigured = await openGrant(
      { EGRESS_PROXY_URL: proxy.url },
      { upstream: upstreamUrl, token: TOKEN, ttlMs: 1_000 },
    );
    expect(unconfigured).toMatchObject({ ok: false, error: { code: "not_configured" } });
  });

  it("refuses a bad grant request without echoing the token", async () => {
    const badToken = `${TOKEN} with spaces`;
    const bad = await openGrant(config(), { upstream: upstreamUrl, token: badToken, ttlMs: 1_000 });
    expect(bad).toMatchObject({ ok: false, error: { code: "refused", status: 400 } });
    expect(JSON.stringify(bad)).not.toContain(TOKEN);
    const tooLong = await openGrant(config(), { upstream: upstreamUrl, token: TOKEN, ttlMs: 2 * 3_600_000 });
    expect(tooLong).toMatchObject({
      ok: false,
      error: { status: 400, message: expect.stringContaining("ttlMs") },
    });
    const withQuery = await openGrant(config(), {
      upstream: `${upstreamUrl}/?t=1`,
      token: TOKEN,
      ttlMs: 1_000,
    });
    expect(withQuery).toMatchObject({ ok: false, error: { status: 400 } });
  });

  it("logs grants and refusals without any token or the admin secret", async () => {
    const log = JSON.stringify([proxy.log, heard]);
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(ADMIN);
    expect(log).not.toContain(PLACEHOLDER);
    expect(proxy.log).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "grant", allowed: true, status: 200 }),
        expect.objectContaining({ kind: "grant", allowed: false, status: 403, reason: "grant_revoked" }),
        expect.objectContaining({ kind: "grant", allowed: false, status: 403, reason: "grant_expired" }),
        expect.objectContaining({ kind: "grant", allowed: false, status: 403, reason: "grant_unknown" }),
        expect.objectContaining({ kind: "admin", allowed: false, status: 401, reason: "unauthorized" }),
        expect.objectContaining({ kind: "admin", allowed: true, status: 201 }),
        expect.objectContaining({ kind: "admin", allowed: true, status: 204 }),
      ]),
    );
    // What `onEntry` heard carries the final outcome, as `npm start` prints it.
    expect(heard.filter((e) => e.kind === "grant" && e.status === 403).length).toBeGreaterThanOrEqual(4);
  });
});

describe("a capturing grant (a deploy step's)", () => {
  const open = async (token?: string) => {
    const opened = await openGrant(config(), {
      upstream: `${upstreamUrl}/client/v4`,
      ...(token ? { token } : {}),
      placeholder: PLACEHOLDER,
      capture: true,
      ttlMs: 60_000,
    });
    if (!opened.ok) throw new Error(`grant refused: ${opened.error.message}`);
    return opened.value;
  };
  const provision = (baseUrl: string) =>
    fetch(`${baseUrl}/provisioning/previews`, {
      method: "POST",
      headers: { "content-type": "application/json", "accept-encoding": "gzip, br" },
      body: "{}",
    });
  const answers: string[] = [];

  it("gives the caller placeholders for the token and the claim URL, and the admin the real ones", async () => {
    const { id, baseUrl } = await open();
    const response = await provision(baseUrl);
    expect(response.status).toBe(200);
    const text = await response.text();
    answers.push(text);
    expect(JSON.parse(text).result).toEqual({
      account: { id: "acc1", name: "quiet-fox", apiToken: PLACEHOLDER, expiresAt: "2030-01-01T00:00:00Z" },
      claim: { url: PLACEHOLDER_CLAIM_URL, expiresAt: "2030-01-01T00:00:00Z" },
    });
    expect(text).not.toContain(ACCOUNT_TOKEN);
    expect(text).not.toContain("claim-secret");
    // Provisioning itself carries no credential; the answer came back unencoded, whole.
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(seen[0]!.headers["accept-encoding"]).toBeUndefined();

    const state = await readGrantCapture(config(), id);
    expect(state).toEqual({
      ok: true,
      value: {
        account: {
          id: "acc1",
          name: "quiet-fox",
          apiToken: ACCOUNT_TOKEN,
          expiresAt: "2030-01-01T00:00:00Z",
        },
        claim: { url: CLAIM_URL, expiresAt: "2030-01-01T00:00:00Z" },
      },
    });
    // Not without the admin secret.
    const unsigned = await fetch(`${proxy.url}/__egress/grants/${id}`);
    expect(unsigned.status).toBe(401);
    answers.push(await unsigned.text());

    // From then on the exact placeholder becomes the captured token; an assets-upload session
    // JWT (the upstream's own, not the account token) passes untouched; nothing else is added.
    const asPlaceholder = await fetch(`${baseUrl}/accounts/acc1/workers/services/w`, {
      headers: { authorization: `Bearer ${PLACEHOLDER}` },
    });
    answers.push(await asPlaceholder.text());
    const asAssets = await fetch(`${baseUrl}/accounts/acc1/workers/assets/upload?base64=true`, {
      method: "POST",
      headers: { authorization: `Bearer ${ASSETS_JWT}` },
      body: "x",
    });
    answers.push(await asAssets.text());
    const nearly = await fetch(`${baseUrl}/accounts/acc1/workers/subdomain`, {
      headers: { authorization: `Bearer ${PLACEHOLDER}x` },
    });
    answers.push(await nearly.text());
    const bare = await fetch(`${baseUrl}/accounts/acc1/workers/subdomain`);
    answers.push(await bare.text());
    expect(seen.slice(1).map((s) => s.headers.authorization)).toEqual([
      `Bearer ${ACCOUNT_TOKEN}`,
      `Bearer ${ASSETS_JWT}`,
      `Bearer ${PLACEHOLDER}x`,
      undefined,
    ]);

    expect(await revokeGrant(config(), id)).toEqual({ ok: true, value: { revoked: true } });
    const after = await fetch(`${baseUrl}/accounts/acc1/workers/services/w`, {
      headers: { authorization: `Bearer ${PLACEHOLDER}` },
    });
    expect(after.status).toBe(403);
    answers.push(await after.text());
    expect(seen).toHaveLength(5);
    expect(await readGrantCapture(config(), id)).toEqual({ ok: true, value: "gone" });
  });

  it("lends a held token only to that grant: another grant's placeholder gets nothing", async () => {
    const lent = await open(ACCOUNT_TOKEN);
    const other = await open();
    for (const { baseUrl } of [lent, other])
      answers.push(
        await (
          await fetch(`${baseUrl}/accounts/acc1/workers/services/w`, {
            headers: { authorization: `Bearer ${PLACEHOLDER}` },
          })
        ).text(),
      );
    // The second grant captured nothing and holds no token: the placeholder is dropped, not replaced.
    expect(seen.map((s) => s.headers.authorization)).toEqual([`Bearer ${ACCOUNT_TOKEN}`, undefined]);
    expect(await readGrantCapture(config(), other.id)).toEqual({ ok: true, value: null });
    for (const { id } of [lent, other]) await revokeGrant(config(), id);
  });

  it("refuses a provisioning answer it cannot check, and passes errors as they are", async () => {
    const { id, baseUrl } = await open();
    provisioningAnswer = () => ({
      status: 200,
      body: `{"success":true,"result":{"token":"${ACCOUNT_TOKEN}"}}`,
    });
    const odd = await provision(baseUrl);
    expect(odd.status).toBe(502);
    const oddText = await odd.text();
    expect(oddText).not.toContain(ACCOUNT_TOKEN);
    answers.push(oddText);
    provisioningAnswer = () => ({
      status: 429,
      body: JSON.stringify({ success: false, errors: [{ code: 971, message: "Too many requests" }] }),
    });
    const limited = await provision(baseUrl);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ errors: [{ code: 971 }] });
    expect(await readGrantCapture(config(), id)).toEqual({ ok: true, value: null });
    await revokeGrant(config(), id);
  });

  it("refuses a capturing grant without a placeholder, and a plain grant without a token", async () => {
    const noPlaceholder = await openGrant(config(), {
      upstream: `${upstreamUrl}/client/v4`,
      capture: true,
      ttlMs: 1_000,
    });
    expect(noPlaceholder).toMatchObject({ ok: false, error: { status: 400, message: /placeholder/ } });
    const noToken = await openGrant(config(), { upstream: `${upstreamUrl}/client/v4`, ttlMs: 1_000 });
    expect(noToken).toMatchObject({ ok: false, error: { status: 400, message: /token/ } });
  });

  it("sends provisioning under the grant's provisioningKey, so a lost answer's account comes back", async () => {
    const keyed = await openGrant(config(), {
      upstream: `${upstreamUrl}/client/v4`,
      placeholder: PLACEHOLDER,
      capture: true,
      provisioningKey: "run-1:deploy#1",
      ttlMs: 60_000,
    });
    if (!keyed.ok) throw new Error(keyed.error.message);
    const from = seen.length;
    const post = (baseUrl: string, headers: Record<string, string>) =>
      fetch(`${baseUrl}/provisioning/previews`, { method: "POST", headers, body: "{}" }).then((r) =>
        r.text(),
      );
    // The grant's key wins over one the Sandbox sent; other calls keep the caller's own.
    answers.push(await post(keyed.value.baseUrl, { "idempotency-key": "from-the-sandbox" }));
    await fetch(`${keyed.value.baseUrl}/accounts/acc1/workers/services/w`, {
      method: "POST",
      headers: { "idempotency-key": "from-the-sandbox" },
      body: "{}",
    }).then((r) => r.text());
    const unkeyed = await open();
    answers.push(await post(unkeyed.baseUrl, {}));
    expect(seen.slice(from).map((s) => [s.url, s.headers["idempotency-key"]])).toEqual([
      ["/client/v4/provisioning/previews", "run-1:deploy#1"],
      ["/client/v4/accounts/acc1/workers/services/w", "from-the-sandbox"],
      ["/client/v4/provisioning/previews", undefined],
    ]);
    const plain = await openGrant(config(), {
      upstream: `${upstreamUrl}/client/v4`,
      token: TOKEN,
      provisioningKey: "run-1:deploy#1",
      ttlMs: 1_000,
    });
    expect(plain).toMatchObject({ ok: false, error: { status: 400, message: /provisioningKey/ } });
  });

  it("gives a step run again the grant it opened before under the same key", async () => {
    const opening = {
      upstream: `${upstreamUrl}/client/v4`,
      placeholder: PLACEHOLDER,
      capture: true,
      key: "run-1:deploy#1",
      ttlMs: 60_000,
    };
    const first = await openGrant(config(), opening);
    if (!first.ok) throw new Error(first.error.message);
    // The same grant, so the same capture: the e2e crash test sees the account held.
    const again = await openGrant(config(), opening);
    expect(again).toEqual({ ok: true, value: first.value });
    const other = await openGrant(config(), { ...opening, key: "run-1:deploy#2" });
    expect(other.ok && other.value.id).not.toBe(first.value.id);
    // Once revoked, the key opens a new grant.
    await revokeGrant(config(), first.value.id);
    const after = await openGrant(config(), opening);
    expect(after.ok && after.value.id).not.toBe(first.value.id);
  });

  it("never shows the account's token or claim URL in an answer to the caller or in its log", async () => {
    const everything = JSON.stringify([answers, proxy.log, heard]);
    expect(answers.length).toBeGreaterThanOrEqual(9);
    expect(everything).not.toContain(ACCOUNT_TOKEN);
    expect(everything).not.toContain(CLAIM_URL);
    expect(everything).not.toContain("claim-secret");
  });
});
