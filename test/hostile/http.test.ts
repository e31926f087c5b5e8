/**
 * The corpus's HTTP surfaces through the real Worker entry, in workerd: API
 * bodies, webhooks and gate decisions (test/hostile/corpus.ts). One fixture
 * for all cases: runs waiting at a claim gate (started by hand and by a
 * webhook), a run whose claim gate was rejected, a run at a two-approver dns
 * gate with one approval, a recorded GitHub delivery, a signed link and
 * personal tokens. Each case is sent once; its answer must be exactly the
 * table's, and every D1 row must be as it was (so no run, gate, event, audit
 * entry, delivery or link changed), the pending gates still pending and the
 * signed link still usable.
 */
import { env, exports } from "cloudflare:workers";
import { sign } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listGates } from "../../src/store/gates.ts";
import { webhookRunId } from "../../src/triggers/run-ids.ts";
import { api, decide, inState, signOff, startRun, uniqueId, waitForRun, watchRun } from "../run/harness.ts";
import {
  ACME_HOOKED,
  type ApiRequest,
  casesOf,
  type Fixture,
  type FixtureRun,
  GITHUB_PING,
  type HtmlAnswer,
  type HttpBody,
  type HttpCase,
  type Unchanged,
  type WebhookRequest,
  type Who,
} from "./corpus.ts";

const GITHUB_SECRET = "gh-test-secret"; // test/support/wrangler.test.jsonc
const ACME_SECRET = "whsec_YWNtZS1uZXcta2V5LTAxMjM0NTY3ODlhYmNkZWZnaGlq";
const OTHER_SECRET = `whsec_${btoa("a-key-nightshift-never-configured")}`;

type Instance = Awaited<ReturnType<typeof watchRun>>;
const instances: Instance[] = [];
const runs = {} as Record<FixtureRun, string>;
const tokens = {} as Record<Who, string>;
const views = new Map<string, unknown>();
let linkToken = "";

const fixture: Fixture = {
  runs,
  gate(run, who, kind = "claim") {
    const view = views.get(`${run}/${who}/${kind}`);
    if (view === undefined) throw new Error(`the fixture has no ${kind} gate of ${run} as seen by ${who}`);
    return view;
  },
};

async function mintToken(identity: string, roles: string[]): Promise<string> {
  const response = await api("/api/tokens", { method: "POST", json: { identity, roles } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

async function rememberViews(run: FixtureRun): Promise<void> {
  for (const who of ["admin", "viewer", "approver"] as const) {
    const response = await api(`/api/runs/${runs[run]}`, {
      headers: { authorization: `Bearer ${tokens[who]}` },
    });
    const { gates } = (await response.json()) as { gates: Array<{ kind: string }> };
    for (const gate of gates) views.set(`${run}/${who}/${gate.kind}`, gate);
  }
}

beforeAll(async () => {
  await signOff();
  tokens.admin = "test-token";
  tokens.viewer = await mintToken("viewer@example.com", ["viewer"]);
  tokens.approver = await mintToken("approver@example.com", ["approver"]);

  runs.pending = uniqueId("hostile-pending");
  runs.decided = uniqueId("hostile-decided");
  runs.dns = uniqueId("hostile-dns");
  runs.hooked = await webhookRunId("hook-deploy", "acme", ACME_HOOKED);
  const hooked = await watchRun(runs.hooked);
  instances.push(
    hooked,
    await startRun("loop", runs.pending),
    await startRun("loop", runs.decided),
    await startRun("loop-dns-two", runs.dns),
  );
  const delivery = await sendWebhook({
    scheme: "standard",
    source: "acme",
    id: ACME_HOOKED,
    body: { json: { type: "deploy.requested", data: { branch: "main" } } },
  });
  expect(delivery.status).toBe(202);
  const ping = await sendWebhook({
    scheme: "github",
    event: "ping",
    delivery: GITHUB_PING,
    body: { json: {} },
  });
  expect(ping.status).toBe(202);

  await Promise.all(
    (["pending", "decided", "hooked", "dns"] as const).map((r) =>
      waitForRun(runs[r], inState("awaitingClaim")),
    ),
  );
  expect((await decide(runs.decided, "claim", "reject", { reason: "fixture" })).status).toBe(200);
  expect((await decide(runs.dns, "claim", "approve")).status).toBe(200);
  await waitForRun(runs.decided, (r) => r.status === "final");
  await waitForRun(runs.dns, inState("awaitingDns"));
  expect((await decide(runs.dns, "dns", "approve", { by: "alice" })).status).toBe(202);

  const link = await api(`/api/runs/${runs.pending}/gates/claim/links`, { method: "POST", json: {} });
  expect(link.status).toBe(201);
  linkToken = new URL(((await link.json()) as { url: string }).url).pathname.replace("/inbox/l/", "");
  for (const run of ["pending", "decided", "hooked", "dns"] as const) await rememberViews(run);
  // The state every case compares is really there: runs, gates, audit, a delivery, a link.
  const state = await d1State();
  for (const table of [
    "runs",
    "gates",
    "events",
    "gate_approvals",
    "deliveries",
    "signed_links",
    "api_tokens",
  ])
    expect(state[table]?.length, table).toBeGreaterThan(0);
}, 60_000);

afterAll(async () => {
  for (const run of ["pending", "hooked"] as const)
    await decide(runs[run], "claim", "reject", { reason: "done" });
  await decide(runs.dns, "dns", "reject", { reason: "done" });
  for (const instance of instances) {
    await instance.waitForStatus("complete");
    await instance[Symbol.asyncDispose]();
  }
}, 60_000);

// ------------------------------------------------------------ requests

const encoder = new TextEncoder();

function bytesOf(body: HttpBody): Uint8Array {
  if ("json" in body) return encoder.encode(JSON.stringify(body.json));
  if ("text" in body) return encoder.encode(body.text);
  if ("bytes" in body) return new Uint8Array(body.bytes);
  return encoder.encode(`${body.prefix ?? ""}${body.repeat.repeat(body.count)}${body.suffix ?? ""}`);
}

const fill = (text: string) =>
  text.replace(/\{(pending|decided|hooked|dns|link)\}/g, (_all, name: string) =>
    name === "link" ? linkToken : runs[name as FixtureRun],
  );

function fillJson(body: HttpBody): HttpBody {
  return "json" in body ? { json: JSON.parse(fill(JSON.stringify(body.json))) } : body;
}

/** The link page's form fields, as a browser holding the link would post them back. */
async function linkForm(path: string): Promise<Record<string, string>> {
  const page = await (await exports.default.fetch(new Request(`http://nightshift.test${path}`))).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  const viewHash = /name="viewHash" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf || !viewHash) throw new Error(`no decision form on ${path}`);
  return { csrf, viewHash };
}

async function sendApi(request: ApiRequest, form: Record<string, string> | null): Promise<Response> {
  const path = fill(request.path);
  const headers = new Headers(request.headers);
  if (request.as === "wrong") headers.set("authorization", "Bearer nst_not-a-token-anyone-holds");
  else if (request.as === "none" || path.startsWith("/inbox/")) headers.set("authorization", "");
  else headers.set("authorization", `Bearer ${tokens[request.as ?? "admin"]}`);
  if (!headers.get("authorization")) headers.delete("authorization");
  let body: Uint8Array | string | undefined;
  if (form) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    body = new URLSearchParams({ ...form, ...request.form }).toString();
  } else if (request.body) {
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    body = bytesOf(fillJson(request.body));
  }
  return exports.default.fetch(
    new Request(`http://nightshift.test${path}`, { method: request.method, headers, body }),
  );
}

async function sendWebhook(request: WebhookRequest): Promise<Response> {
  const body = bytesOf(request.body);
  const text = new TextDecoder().decode(body);
  const headers = new Headers({ "content-type": "application/json" });
  let path: string;
  if (request.scheme === "github") {
    path = "/webhooks/github";
    if (request.event !== null) headers.set("x-github-event", request.event ?? "ping");
    if (request.delivery !== null) headers.set("x-github-delivery", request.delivery ?? crypto.randomUUID());
    const signature = request.signature ?? "valid";
    if (typeof signature === "object") headers.set("x-hub-signature-256", signature.literal);
    else if (signature !== "none")
      headers.set(
        "x-hub-signature-256",
        await sign(signature === "valid" ? GITHUB_SECRET : "not-the-secret", request.signedBody ?? text),
      );
  } else {
    path = `/webhooks/${request.source}`;
    const id = request.id === undefined ? `msg_${crypto.randomUUID()}` : request.id;
    const offset = typeof request.timestamp === "number" ? request.timestamp : 0;
    const at = new Date(Date.now() + offset * 1000);
    if (id !== null) headers.set("webhook-id", id);
    if (request.timestamp !== null)
      headers.set(
        "webhook-timestamp",
        typeof request.timestamp === "object"
          ? request.timestamp.literal
          : String(Math.floor(at.getTime() / 1000)),
      );
    const signature = request.signature ?? "valid";
    if (typeof signature === "object") headers.set("webhook-signature", signature.literal);
    else if (signature !== "none")
      headers.set(
        "webhook-signature",
        new Webhook(signature === "valid" ? ACME_SECRET : OTHER_SECRET).sign(id ?? "msg_unsent", at, text),
      );
  }
  return exports.default.fetch(
    new Request(`http://nightshift.test${path}`, { method: "POST", headers, body }),
  );
}

// ------------------------------------------------------------ what must not change

/** Every row of every table; a personal token's `last_used_at` moves on each use, by design. */
async function d1State(): Promise<Record<string, unknown[]>> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%' ORDER BY name",
  ).all<{ name: string }>();
  const state: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    const { results } = await env.DB.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all();
    state[name] = name === "api_tokens" ? results.map((r) => ({ ...r, last_used_at: null })) : results;
  }
  return state;
}

async function checkUnchanged(unchanged: readonly Unchanged[], before: Record<string, unknown[]>) {
  if (unchanged.includes("d1")) expect(await d1State()).toEqual(before);
  if (unchanged.includes("gates-pending"))
    for (const [run, kind] of [
      ["pending", "claim"],
      ["hooked", "claim"],
      ["dns", "dns"],
    ] as const) {
      const gate = (await listGates(env.DB, { runId: runs[run] })).filter((g) => g.kind === kind).at(-1);
      expect(gate?.status, `${run}'s ${kind} gate`).toBe("pending");
    }
  if (unchanged.includes("link-usable")) {
    const page = await exports.default.fetch(new Request(`http://nightshift.test/inbox/l/${linkToken}`));
    expect(page.status, "the signed link still opens its gate").toBe(200);
    await page.body?.cancel();
  }
}

const isHtml = (body: unknown): body is HtmlAnswer =>
  typeof body === "object" && body !== null && "html" in body;
const unescapeHtml = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

async function expectAnswer(response: Response, c: HttpCase): Promise<void> {
  const expected = typeof c.body === "function" ? c.body(fixture) : c.body;
  if (isHtml(expected)) {
    const page = await response.text();
    const alert = /<div class="notice error" role="alert"><p>([\s\S]*?)<\/p><\/div>/.exec(page)?.[1];
    expect({
      status: response.status,
      refusal: response.headers.get("x-nightshift-refusal"),
      message: alert === undefined ? page.slice(0, 500) : unescapeHtml(alert),
    }).toEqual({ status: c.status, ...expected.html });
    return;
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  expect({ status: response.status, body }).toEqual({ status: c.status, body: expected });
}

async function run(c: HttpCase): Promise<void> {
  const request = c.request;
  const form = "form" in request && request.form ? await linkForm(fill(request.path)) : null;
  const before = await d1State();
  const response =
    "scheme" in request
      ? await sendWebhook({ ...request, body: fillJson(request.body) })
      : await sendApi(request, form);
  await expectAnswer(response, c);
  await checkUnchanged(c.unchanged, before);
}

for (const surface of ["api", "webhook", "gate"] as const) {
  const cases = casesOf(surface);
  describe(`hostile ${surface} input (${cases.length} cases)`, () => {
    it.each(cases.map((c) => [c.name, c] as const))("refuses %s", async (_name, c) => run(c));
  });
}
