/**
 * The gated end of the loop against the emulator's organisation account, zones and
 * custom domains: the real local stack (wrangler dev, Workflows, D1, the Sandbox host,
 * wrangler inside it, the egress proxy), nothing faked but Cloudflare itself.
 *
 * - A claimed run: the approved claim is waited for until it lands in the organisation's
 *   account; the DNS plan (each resource before → after) is what the dns gate shows; the
 *   orchestrator is killed between the plan's two changes and, resumed, applies the second
 *   once and never the first twice (the emulator's request log); `nightshift rollback`
 *   restores the previous records behind its own gate.
 * - A `deploy` promotion: wrangler deploys into the organisation's account through an egress
 *   grant while no process in the Sandbox ever holds the account's token; then a DNS plan for
 *   a lookalike hostname (superseal.cc when superseal.club was asked) is blocked before any
 *   gate opens, and nothing in the zone changes.
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoggedRequest } from "../../src/local/emulator/request-log.ts";
import { LOOKALIKE_ZONE, ZONE } from "./dns/zones.ts";
import { api, ROOT, runOf, startTestStack, type TestStack, TOKEN, until } from "./stack-support.ts";

let stack: TestStack;
let org: { id: string; apiToken: string; subdomain: string };
let zoneId: string;

/** The organisation's own API calls, as its token. */
async function cf<T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const response = await fetch(`${stack.emulator.apiBaseUrl}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers: { authorization: `Bearer ${org.apiToken}`, "content-type": "application/json" },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  const body = (await response.json()) as { success: boolean; result: T; errors: unknown };
  if (!body.success) throw new Error(`${path}: ${JSON.stringify(body.errors)}`);
  return body.result;
}

async function admin(path: string, method: string, json?: unknown): Promise<unknown> {
  const response = await fetch(`${stack.emulator.url}${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${stack.emulator.adminSecret}` },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

type Record_ = { id: string; type: string; name: string; content: string };
const records = () => cf<Record_[]>(`/zones/${zoneId}/dns_records?per_page=100`);
const domains = () => cf<Array<{ hostname: string; service: string }>>(`/accounts/${org.id}/workers/domains`);
const writes = (since: number): LoggedRequest[] =>
  stack.emulator.requestLog
    .list({ since: String(since), kind: "api" })
    .filter((r) => r.method !== "GET" && (r.path.includes("/zones/") || r.path.includes("/workers/domains")));

async function startRun(job: string, input: unknown = {}): Promise<string> {
  const started = await api<{ run: { id: string } }>(stack, `/api/jobs/${job}/runs`, { json: { input } });
  expect(started.status).toBe(201);
  return started.body.run.id;
}

const inState = (id: string, state: string) =>
  until(`run ${id} in ${state}`, async () => {
    const { run } = await runOf(stack, id);
    if (run.status === "final" && run.state !== state)
      throw new Error(`run ${id} ended ${run.state}: ${JSON.stringify(run.outcome)}`);
    return run.state === state ? run : undefined;
  });

const final = (id: string) =>
  until(
    `run ${id} to end`,
    async () => {
      // The sweeper wakes a run whose engine lost track of it (a restart); production's cron does this.
      await stack.sweep();
      const { run } = await runOf(stack, id);
      return run.status === "final" ? run : undefined;
    },
    120_000,
  );

async function decide(id: string, gate: string, decision: "approve" | "reject") {
  const result = await api(stack, `/api/runs/${id}/gates/${gate}/${decision}`, { json: { reason: "e2e" } });
  expect(result.status).toBe(200);
}

type Shown = { plan: { changes: Array<{ action: string; key: string; before: unknown; after: unknown }> } };
const gateShown = async (id: string, kind: string) => {
  const { gates } = (
    await api<{ gates: Array<{ kind: string; status: string; shown: Shown }> }>(stack, `/api/runs/${id}`)
  ).body;
  return gates.find((g) => g.kind === kind && g.status === "pending")?.shown;
};

beforeAll(async () => {
  stack = await startTestStack("dns", {
    config: "test/e2e/dns/wrangler.jsonc",
    organisation: { name: "Superseal" },
  });
  if (!stack.organisation) throw new Error("the stack created no organisation account");
  org = stack.organisation;
  for (const name of [ZONE, LOOKALIKE_ZONE])
    await admin("/__emulator/zones", "POST", { name, accountId: org.id });
  zoneId = (await cf<Array<{ id: string }>>(`/zones?name=${ZONE}`))[0]!.id;
  await cf(`/zones/${zoneId}/dns_records`, {
    json: { type: "TXT", name: `_nightshift.${ZONE}`, content: "v=1", ttl: 1 },
  });
  await cf(`/zones/${zoneId}/dns_records`, {
    json: { type: "A", name: `www.${ZONE}`, content: "192.0.2.7", ttl: 1 },
  });
}, 120_000);

afterAll(async () => {
  await stack?.dispose();
});

describe("claim, production DNS and rollback", () => {
  let runId: string;
  const recordsNow = () =>
    records().then((rs) => rs.map(({ type, name, content }) => ({ type, name, content })));
  let original: Array<{ type: string; name: string; content: string }>;

  it("waits for the approved claim to land in the organisation's account, then shows the exact plan", async () => {
    original = await recordsNow();
    runId = await startRun("dns-claim");
    const waiting = await inState(runId, "awaitingClaim");
    await decide(runId, "claim", "approve");
    // Approved but not claimed: the run keeps looking instead of moving on.
    await until("a pending claim", async () => {
      const { events } = (await api<{ events: Array<{ type: string }> }>(stack, `/api/runs/${runId}/events`))
        .body;
      return events.some((e) => e.type === "promote.pending") ? true : undefined;
    });
    expect((await runOf(stack, runId)).run.state).toBe("promoting");

    const claimed = await fetch(waiting.account!.claimUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `account=${org.id}`,
    });
    expect(claimed.status).toBe(200);
    const planned = await inState(runId, "awaitingDns");
    expect(planned.outcome).toBeNull();
    const scripts = await cf<Array<{ id: string }>>(`/accounts/${org.id}/workers/scripts`);
    expect(scripts.map((s) => s.id)).toContain("hello-dns");

    const shown = await gateShown(runId, "dns");
    expect(shown?.plan.changes).toEqual([
      {
        action: "create",
        key: `custom-domain:app.${ZONE}`,
        before: null,
        after: { kind: "custom-domain", id: null, hostname: `app.${ZONE}`, service: "hello-dns" },
      },
      {
        action: "update",
        key: `record:TXT:_nightshift.${ZONE}`,
        before: expect.objectContaining({ type: "TXT", content: "v=1" }),
        after: expect.objectContaining({ type: "TXT", content: "v=2" }),
      },
    ]);
  }, 180_000);

  it("applies the second change once and never the first twice after a crash between them", async () => {
    const since = stack.emulator.requestLog.lastSeq;
    // The record update (the plan's second change) is made, but its answer never comes back.
    await admin("/__emulator/faults", "POST", { method: "PUT", pathRegex: "/dns_records/", action: "hang" });
    await decide(runId, "dns", "approve");
    await until("the second change to be held", async () =>
      writes(since).some((r) => r.fault === "hang") ? true : undefined,
    );
    await stack.restartOrchestrator();
    await admin("/__emulator/faults", "DELETE");

    const run = await final(runId);
    expect(run.state).toBe("succeeded");
    const made = writes(since).map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{32}/g, ":id")}`);
    expect(made).toEqual([
      "PUT /client/v4/accounts/:id/workers/domains",
      "PUT /client/v4/zones/:id/dns_records/:id",
    ]);
    expect((await records()).find((r) => r.type === "TXT")?.content).toBe("v=2");
    expect(await domains()).toEqual([
      expect.objectContaining({ hostname: `app.${ZONE}`, service: "hello-dns" }),
    ]);
    // The hostname serves the Worker (the run's own probes passed there too).
    const served = await fetch(`${stack.emulator.url}/__workers/app.${ZONE}/`);
    expect(await served.text()).toContain("hello");
  }, 240_000);

  it("rolls the change back with `nightshift rollback`, behind its own gate", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["bin/nightshift.mjs", "rollback", runId, "--json"],
      {
        cwd: ROOT,
        env: { ...process.env, NIGHTSHIFT_URL: stack.url, NIGHTSHIFT_TOKEN: TOKEN },
      },
    );
    const rollbackId = (JSON.parse(stdout) as { run: { id: string } }).run.id;
    await inState(rollbackId, "awaitingRollback");
    const shown = await gateShown(rollbackId, "rollback");
    expect(shown?.plan.changes.map((c) => `${c.action} ${c.key}`)).toEqual([
      `update record:TXT:_nightshift.${ZONE}`,
      `delete custom-domain:app.${ZONE}`,
    ]);
    // Nothing changes before the approval.
    expect((await records()).find((r) => r.type === "TXT")?.content).toBe("v=2");
    await decide(rollbackId, "rollback", "approve");
    expect((await final(rollbackId)).state).toBe("succeeded");
    expect(await recordsNow()).toEqual(original);
    expect(await domains()).toEqual([]);
  }, 180_000);
});

/** Every process in a Sandbox (its HOME), seen from the host while a step runs. */
async function sandboxProcesses(): Promise<Array<{ cmdline: string; environ: string }>> {
  const seen: Array<{ cmdline: string; environ: string }> = [];
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    try {
      const environ = (await readFile(join("/proc", pid, "environ"), "utf8")).replaceAll("\0", "\n");
      if (!environ.includes("HOME=/home/sandbox")) continue;
      seen.push({
        cmdline: (await readFile(join("/proc", pid, "cmdline"), "utf8")).replaceAll("\0", " "),
        environ,
      });
    } catch {
      // The process ended while we looked.
    }
  }
  return seen;
}

describe("promotion into the organisation's account and a near-miss hostname", () => {
  it("deploys with the token kept out of the Sandbox, then blocks superseal.cc when superseal.club was asked", async () => {
    const since = stack.emulator.requestLog.lastSeq;
    const id = await startRun("dns-deploy", { hostname: ZONE });
    await inState(id, "awaitingClaim");
    const seen: Array<{ cmdline: string; environ: string }> = [];
    let scanning = true;
    const scanner = (async () => {
      while (scanning) {
        seen.push(...(await sandboxProcesses()));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await decide(id, "claim", "approve");
    const run = await final(id);
    scanning = false;
    await scanner;

    expect(run.state).toBe("failed");
    expect(run.outcome).toMatchObject({
      code: "dns_blocked",
      reason: expect.stringContaining("superseal.cc"),
    });
    // The Worker is in the organisation's account, uploaded by wrangler through the grant.
    const uploads = stack.emulator.requestLog
      .list({ since: String(since), path: `/accounts/${org.id}/workers/scripts/hello-prod`, method: "PUT" })
      .filter((r) => r.status === 200);
    expect(uploads.length).toBeGreaterThan(0);
    const promoting = seen.filter(
      (p) => p.cmdline.includes("wrangler.js deploy") && !p.cmdline.includes("--temporary"),
    );
    expect(promoting.length).toBeGreaterThan(0);
    expect(promoting[0]!.environ).toContain("CLOUDFLARE_API_TOKEN=nightshift-egress-grant");
    expect(seen.filter((p) => p.environ.includes(org.apiToken) || p.cmdline.includes(org.apiToken))).toEqual(
      [],
    );
    // Blocked before any gate: no dns gate, and no change anywhere near the zones.
    const { gates } = await runOf(stack, id);
    expect(gates.map((g) => g.kind)).toEqual(["claim"]);
    expect(writes(since)).toEqual([]);
  }, 240_000);
});
