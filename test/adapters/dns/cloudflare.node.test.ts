/**
 * The Cloudflare DNS adapter against the real emulator over HTTP, through the
 * official SDK, with the production journal (D1's `idempotency` table, in
 * Miniflare): planning against seeded zones, applying once across retries
 * and crashes, drift, verification, refusals and undoing an apply.
 */
import { asIdempotencyKey } from "../../../src/ports/vocabulary.ts";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCloudflareDns } from "../../../src/adapters/dns/cloudflare.ts";
import type { DnsJournal } from "../../../src/adapters/dns/journal.ts";
import { idempotencyJournal } from "../../../src/store/idempotency.ts";
import { inversePlan } from "../../../src/dns/inverse.ts";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import type { DesiredDns, Dns, DnsPlan } from "../../../src/ports/dns.ts";
import { adminFetch, getWithHost, REPO, uploadWorker, waitFor } from "../../local/emulator/support.ts";

let emu: Emulator;
let mf: Miniflare;
let journal: DnsJournal;
let org: { id: string; apiToken: string; subdomain: string };

beforeAll(async () => {
  emu = await startEmulator({ log: () => {} });
  const made = await adminFetch(emu, `/__emulator/accounts`, {
    method: "POST",
    body: JSON.stringify({ name: "Acme DNS" }),
  });
  org = (await made.json()) as typeof org;
  mf = new Miniflare({ modules: true, script: "export default {}", d1Databases: ["DB"] });
  const db = await mf.getD1Database("DB");
  // The real table, from the real migration.
  const sql = readFileSync(join(REPO, "src/store/migrations/0001_init.sql"), "utf8");
  const table = /CREATE TABLE idempotency \([^;]+\);/.exec(sql)?.[0];
  if (!table) throw new Error("0001_init.sql has no idempotency table");
  await db.prepare(table).run();
  journal = idempotencyJournal(db, "dns", () => Date.now());
});
afterAll(async () => {
  await mf?.dispose();
  await emu?.close();
  if (emu) rmSync(emu.stateDir, { recursive: true, force: true });
});

function adapter(fetchImpl: typeof fetch = fetch, token = org.apiToken): Dns {
  return createCloudflareDns({
    apiBase: emu.apiBaseUrl,
    accountId: org.id,
    apiToken: token,
    fetch: fetchImpl,
    journal,
    now: () => Date.now(),
  });
}

/** A call to the emulator's Cloudflare API as someone else with the organisation's token. */
async function cf<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${emu.apiBaseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${org.apiToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const envelope = (await res.json()) as { success: boolean; result: T; errors: unknown[] };
  if (!envelope.success) throw new Error(`${method} ${path}: ${JSON.stringify(envelope.errors)}`);
  return envelope.result;
}

async function seedZone(name: string): Promise<string> {
  const res = await adminFetch(emu, `/__emulator/zones`, {
    method: "POST",
    body: JSON.stringify({ name, accountId: org.id }),
  });
  return ((await res.json()) as { result: { id: string } }).result.id;
}

interface ApiRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  proxied: boolean;
  ttl: number;
}
const addRecord = (zoneId: string, r: Omit<ApiRecord, "id" | "proxied" | "ttl"> & Partial<ApiRecord>) =>
  cf<ApiRecord>("POST", `/zones/${zoneId}/dns_records`, { proxied: false, ttl: 1, ...r });

/** The zone's records and routes without ids, sorted: what "restored exactly" compares. */
async function zoneState(zoneId: string) {
  const records = await cf<ApiRecord[]>("GET", `/zones/${zoneId}/dns_records?per_page=1000`);
  const routes = await cf<{ pattern: string; script?: string }[]>("GET", `/zones/${zoneId}/workers/routes`);
  return {
    records: records
      .map(({ type, name, content, proxied, ttl }) => ({ type, name, content, proxied, ttl }))
      .sort((a, b) => `${a.type} ${a.name} ${a.content}`.localeCompare(`${b.type} ${b.name} ${b.content}`)),
    routes: routes
      .map(({ pattern, script }) => ({ pattern, script }))
      .sort((a, b) => a.pattern.localeCompare(b.pattern)),
  };
}

function job(zone: string, over: Partial<DesiredDns> = {}): DesiredDns {
  const hostname = `app.${zone}`;
  return {
    zone,
    requestedHostname: hostname,
    hostname,
    mode: "route",
    workerName: "shop",
    records: [],
    deletes: [],
    allow: { hostnames: [hostname], delete: false, wildcard: false, apex: false },
    ...over,
  };
}

async function planOk(dns: Dns, desired: DesiredDns): Promise<DnsPlan> {
  const planned = await dns.plan({ runId: "run-1", desired });
  if (!planned.ok) throw new Error(`plan failed: ${planned.error.code}: ${planned.error.message}`);
  return planned.value;
}

/** Writes (anything but GET) the emulator received for a zone since `seq`. */
function writesSince(seq: number, zoneId: string) {
  return emu.requestLog
    .list({ since: String(seq), path: `/zones/${zoneId}/`, kind: "api" })
    .filter((e) => e.method !== "GET");
}

describe("plan", () => {
  test("reads the zone: a record to update, one to create, a no-op placeholder, a route to create", async () => {
    const zoneId = await seedZone("plan.example");
    const aaaa = await addRecord(zoneId, { type: "AAAA", name: "app", content: "100::", proxied: true });
    const txt = await addRecord(zoneId, { type: "TXT", name: "_v", content: "old" });
    const plan = await planOk(
      adapter(),
      job("plan.example", {
        records: [
          { type: "TXT", name: "_v.plan.example", content: "new", proxied: false, ttl: 1 },
          { type: "CNAME", name: "www.plan.example", content: "app.plan.example", proxied: true, ttl: 1 },
        ],
        allow: {
          hostnames: ["app.plan.example", "_v.plan.example", "www.plan.example"],
          delete: false,
          wildcard: false,
          apex: false,
        },
      }),
    );
    expect(plan.zone).toEqual({ id: zoneId, name: "plan.example" });
    expect(plan.accountId).toBe(org.id);
    expect(plan.blocked).toBe(false);
    expect(plan.changes.map((c) => [c.action, c.key])).toEqual([
      ["noop", "record:AAAA:app.plan.example"],
      ["create", "route:app.plan.example/*"],
      ["update", "record:TXT:_v.plan.example"],
      ["create", "record:CNAME:www.plan.example"],
    ]);
    expect(plan.changes[0]!.before?.id).toBe(aaaa.id);
    expect(plan.changes[2]!.before).toMatchObject({ id: txt.id, content: "old" });
    expect(plan.changes[2]!.after).toMatchObject({ id: txt.id, content: "new" });
  });

  test("a zone the account does not have is zone_not_found, naming the zone", async () => {
    const planned = await adapter().plan({ runId: "r", desired: job("missing.example") });
    expect(planned).toEqual({
      ok: false,
      error: { code: "zone_not_found", message: expect.stringContaining("missing.example") },
    });
  });

  test("a token Cloudflare refuses is not_configured, with Cloudflare's message and never the token", async () => {
    const badToken = "emu_not-a-real-token";
    const planned = await adapter(fetch, badToken).plan({ runId: "r", desired: job("plan.example") });
    expect(planned.ok).toBe(false);
    if (planned.ok) return;
    expect(planned.error.code).toBe("not_configured");
    expect(planned.error.message).toContain("Authentication error");
    expect(planned.error.message).toContain("code 10000");
    expect(planned.error.message).not.toContain(badToken);
  });
});

describe("apply", () => {
  test("applying twice with one key: the second is all replayed and each write was sent once", async () => {
    const zoneId = await seedZone("twice.example");
    await addRecord(zoneId, { type: "TXT", name: "_v", content: "old" });
    await addRecord(zoneId, { type: "TXT", name: "gone", content: "bye" });
    const dns = adapter();
    const plan = await planOk(
      dns,
      job("twice.example", {
        records: [{ type: "TXT", name: "_v", content: "new", proxied: false, ttl: 1 }],
        deletes: [{ type: "TXT", name: "gone" }],
        allow: {
          hostnames: ["app.twice.example", "_v.twice.example", "gone.twice.example"],
          delete: true,
          wildcard: false,
          apex: false,
        },
      }),
    );
    const since = emu.requestLog.lastSeq;
    const first = await dns.apply({
      idempotencyKey: asIdempotencyKey("run-2:applyDns#1"),
      runId: "run-2",
      plan,
    });
    const second = await dns.apply({
      idempotencyKey: asIdempotencyKey("run-2:applyDns#1"),
      runId: "run-2",
      plan,
    });
    if (!first.ok || !second.ok) throw new Error(JSON.stringify([first, second]));
    expect(first.value.applied.map((a) => [a.action, a.key, a.replayed])).toEqual([
      ["delete", "record:TXT:gone.twice.example", false],
      ["create", "record:AAAA:app.twice.example", false],
      ["create", "route:app.twice.example/*", false],
      ["update", "record:TXT:_v.twice.example", false],
    ]);
    // What the first apply wrote down is what lets the second one send nothing.
    expect(await journal.recall("run-2:applyDns#1:3")).toEqual({
      key: "record:TXT:_v.twice.example",
      action: "update",
      result: first.value.applied[3]!.result,
    });
    expect(second.value.applied.map((a) => a.replayed)).toEqual([true, true, true, true]);
    expect(second.value.applied.map((a) => a.result)).toEqual(first.value.applied.map((a) => a.result));

    const writes = writesSince(since, zoneId);
    expect(
      writes.map((w) => [w.method, w.path.replace(/\/[0-9a-f]{32}$/, "/:id"), w.headers["idempotency-key"]]),
    ).toEqual([
      ["DELETE", `/client/v4/zones/${zoneId}/dns_records/:id`, "run-2:applyDns#1:0"],
      ["POST", `/client/v4/zones/${zoneId}/dns_records`, "run-2:applyDns#1:1"],
      ["POST", `/client/v4/zones/${zoneId}/workers/routes`, "run-2:applyDns#1:2"],
      ["PUT", `/client/v4/zones/${zoneId}/dns_records/:id`, "run-2:applyDns#1:3"],
    ]);
    expect(await zoneState(zoneId)).toEqual({
      records: [
        { type: "AAAA", name: "app.twice.example", content: "100::", proxied: true, ttl: 1 },
        { type: "TXT", name: "_v.twice.example", content: "new", proxied: false, ttl: 1 },
      ],
      routes: [{ pattern: "app.twice.example/*", script: "shop" }],
    });
  });

  test("custom-domain mode attaches the hostname to the Worker, which then serves it", async () => {
    await seedZone("domain.example");
    const up = await uploadWorker(
      emu,
      { id: org.id, token: org.apiToken },
      "shop",
      `export default { fetch() { return new Response("served by shop"); } };`,
    );
    expect(up.status).toBe(200);
    const dns = adapter();
    const plan = await planOk(dns, job("domain.example", { mode: "custom-domain" }));
    expect(plan.changes.map((c) => [c.action, c.key])).toEqual([
      ["create", "custom-domain:app.domain.example"],
    ]);
    const applied = await dns.apply({
      idempotencyKey: asIdempotencyKey("run-3:applyDns#1"),
      runId: "run-3",
      plan,
    });
    expect(applied.ok).toBe(true);
    expect(await getWithHost(emu.url, "app.domain.example", "/")).toEqual({
      status: 200,
      body: "served by shop",
    });
    const again = await planOk(dns, job("domain.example", { mode: "custom-domain" }));
    expect(again.changes.map((c) => c.action)).toEqual(["noop"]);
  });

  test("a crash after the second change was made: the next apply sends neither again and makes the third once", async () => {
    const zoneId = await seedZone("crash.example");
    const desired = job("crash.example", {
      records: [{ type: "TXT", name: "_v", content: "hello", proxied: false, ttl: 1 }],
      allow: {
        hostnames: ["app.crash.example", "_v.crash.example"],
        delete: false,
        wildcard: false,
        apex: false,
      },
    });
    const plan = await planOk(adapter(), desired);
    expect(plan.changes.map((c) => c.key)).toEqual([
      "record:AAAA:app.crash.example",
      "route:app.crash.example/*",
      "record:TXT:_v.crash.example",
    ]);
    // The route is made, and its answer never comes back.
    const fault = await adminFetch(emu, `/__emulator/faults`, {
      method: "POST",
      body: JSON.stringify({
        method: "POST",
        pathPrefix: `/client/v4/zones/${zoneId}/workers/routes`,
        action: "hang",
      }),
    });
    expect(fault.status).toBe(200);
    // The caller's process dies while waiting: its connections are cut.
    const crash = new AbortController();
    const crashing: typeof fetch = (input, init) =>
      fetch(input, {
        ...init,
        signal: init?.signal ? AbortSignal.any([init.signal, crash.signal]) : crash.signal,
      });
    const since = emu.requestLog.lastSeq;
    const key = asIdempotencyKey("run-4:applyDns#1");
    const first = adapter(crashing).apply({ idempotencyKey: key, runId: "run-4", plan });
    await waitFor(async () => emu.requestLog.list({ since: String(since) }).some((e) => e.fault === "hang"));
    crash.abort();
    await expect(first).rejects.toThrow();
    // The crash came between the call and the journal: only the first change is written down.
    expect(await journal.recall(`${key}:0`)).toMatchObject({ key: "record:AAAA:app.crash.example" });
    expect(await journal.recall(`${key}:1`)).toBeNull();

    const second = await adapter().apply({ idempotencyKey: key, runId: "run-4", plan });
    if (!second.ok) throw new Error(JSON.stringify(second.error));
    expect(second.value.applied.map((a) => [a.key, a.replayed])).toEqual([
      ["record:AAAA:app.crash.example", true], // the journal says so
      ["route:app.crash.example/*", true], // re-read: already as planned
      ["record:TXT:_v.crash.example", false],
    ]);
    const writes = writesSince(since, zoneId);
    expect(writes.map((w) => [w.method, w.path, w.headers["idempotency-key"], w.fault ?? null])).toEqual([
      ["POST", `/client/v4/zones/${zoneId}/dns_records`, `${key}:0`, null],
      ["POST", `/client/v4/zones/${zoneId}/workers/routes`, `${key}:1`, "hang"],
      ["POST", `/client/v4/zones/${zoneId}/dns_records`, `${key}:2`, null],
    ]);
    expect((await zoneState(zoneId)).routes).toEqual([{ pattern: "app.crash.example/*", script: "shop" }]);
    await adminFetch(emu, `/__emulator/faults`, { method: "DELETE" });
  });

  test("a dropped request (never made) is made by the next apply", async () => {
    const zoneId = await seedZone("drop.example");
    const plan = await planOk(adapter(), job("drop.example"));
    await adminFetch(emu, `/__emulator/faults`, {
      method: "POST",
      body: JSON.stringify({
        method: "POST",
        pathRegex: `^/client/v4/zones/${zoneId}/workers/routes$`,
        action: "drop",
      }),
    });
    const since = emu.requestLog.lastSeq;
    await expect(
      adapter().apply({ idempotencyKey: asIdempotencyKey("run-5:a"), runId: "run-5", plan }),
    ).rejects.toThrow();
    const second = await adapter().apply({
      idempotencyKey: asIdempotencyKey("run-5:a"),
      runId: "run-5",
      plan,
    });
    if (!second.ok) throw new Error(JSON.stringify(second.error));
    expect(second.value.applied.map((a) => a.replayed)).toEqual([true, false]);
    expect(
      writesSince(since, zoneId).map((w) => [w.method, w.path.split("/").at(-1), w.fault ?? null]),
    ).toEqual([
      ["POST", "dns_records", null],
      ["POST", "routes", "drop"],
      ["POST", "routes", null],
    ]);
  });

  test("applying the inverse plan restores the records and routes exactly", async () => {
    const zoneId = await seedZone("undo.example");
    await addRecord(zoneId, { type: "CNAME", name: "app", content: "legacy.example.net" });
    await addRecord(zoneId, { type: "TXT", name: "_v", content: "old", ttl: 300 });
    await cf("POST", `/zones/${zoneId}/workers/routes`, { pattern: "other.undo.example/*", script: "other" });
    const before = await zoneState(zoneId);
    const dns = adapter();
    const plan = await planOk(
      dns,
      job("undo.example", {
        records: [{ type: "TXT", name: "_v", content: "new", proxied: false, ttl: 300 }],
        deletes: [{ type: "CNAME", name: "app" }],
        allow: {
          hostnames: ["app.undo.example", "_v.undo.example"],
          delete: true,
          wildcard: false,
          apex: false,
        },
      }),
    );
    expect(plan.changes.map((c) => c.action)).toEqual(["delete", "create", "create", "update"]);
    const applied = await dns.apply({
      idempotencyKey: asIdempotencyKey("run-6:applyDns#1"),
      runId: "run-6",
      plan,
    });
    if (!applied.ok) throw new Error(JSON.stringify(applied.error));
    expect(await zoneState(zoneId)).not.toEqual(before);
    expect(applied.value.inverse.map((c) => [c.action, c.key])).toEqual([
      ["update", "record:TXT:_v.undo.example"],
      ["delete", "route:app.undo.example/*"],
      ["delete", "record:AAAA:app.undo.example"],
      ["create", "record:CNAME:app.undo.example"],
    ]);
    const undone = await dns.apply({
      idempotencyKey: asIdempotencyKey("run-6:rollback#1"),
      runId: "run-6",
      plan: inversePlan(plan, applied.value, Date.now()),
    });
    if (!undone.ok) throw new Error(JSON.stringify(undone.error));
    expect(await zoneState(zoneId)).toEqual(before);
  });
});

describe("apply refuses", () => {
  test("drift: a record edited after the plan voids it, and nothing is sent", async () => {
    const zoneId = await seedZone("drift.example");
    const txt = await addRecord(zoneId, { type: "TXT", name: "_v", content: "old" });
    const dns = adapter();
    const plan = await planOk(
      dns,
      job("drift.example", {
        mode: "custom-domain",
        workerName: "shop",
        records: [{ type: "TXT", name: "_v", content: "new", proxied: false, ttl: 1 }],
        allow: {
          hostnames: ["app.drift.example", "_v.drift.example"],
          delete: false,
          wildcard: false,
          apex: false,
        },
      }),
    );
    // Only the record changes: the custom domain is planned as already there.
    const onlyRecord: DnsPlan = { ...plan, changes: plan.changes.filter((c) => c.key.startsWith("record:")) };
    await cf("PATCH", `/zones/${zoneId}/dns_records/${txt.id}`, { content: "edited by hand" });
    const since = emu.requestLog.lastSeq;
    const result = await dns.apply({
      idempotencyKey: asIdempotencyKey("run-7:applyDns#1"),
      runId: "run-7",
      plan: onlyRecord,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("drift");
    expect(result.error.message).toContain("record:TXT:_v.drift.example");
    expect(result.error.message).toContain("expected TXT _v.drift.example old");
    expect(result.error.message).toContain("found TXT _v.drift.example edited by hand");
    expect(writesSince(since, zoneId)).toEqual([]);
  });

  test("drift: a record of the planned type and name made by someone else since the plan", async () => {
    const zoneId = await seedZone("drift2.example");
    const dns = adapter();
    const plan = await planOk(
      dns,
      job("drift2.example", {
        records: [{ type: "TXT", name: "_n", content: "ours", proxied: false, ttl: 1 }],
        allow: {
          hostnames: ["app.drift2.example", "_n.drift2.example"],
          delete: false,
          wildcard: false,
          apex: false,
        },
      }),
    );
    const onlyRecord: DnsPlan = {
      ...plan,
      changes: plan.changes.filter((c) => c.key === "record:TXT:_n.drift2.example"),
    };
    expect(onlyRecord.changes.map((c) => c.action)).toEqual(["create"]);
    await addRecord(zoneId, { type: "TXT", name: "_n", content: "theirs" });
    const since = emu.requestLog.lastSeq;
    const result = await dns.apply({
      idempotencyKey: asIdempotencyKey("run-7b:a"),
      runId: "run-7b",
      plan: onlyRecord,
    });
    expect(result).toEqual({
      ok: false,
      error: {
        code: "drift",
        message: expect.stringContaining("expected absent, found TXT _n.drift2.example theirs"),
      },
    });
    expect(writesSince(since, zoneId)).toEqual([]);
  });

  test("a blocked plan is not applied and nothing is called", async () => {
    await seedZone("blocked.example");
    const dns = adapter();
    const plan = await planOk(dns, job("blocked.example", { hostname: "app.blocked.exampel" }));
    expect(plan.blocked).toBe(true);
    const since = emu.requestLog.lastSeq;
    const result = await dns.apply({ idempotencyKey: asIdempotencyKey("run-8:a"), runId: "run-8", plan });
    expect(result).toEqual({
      ok: false,
      error: { code: "blocked", message: expect.stringContaining("near_miss") },
    });
    expect(emu.requestLog.list({ since: String(since) })).toEqual([]);
  });

  test("a change Cloudflare refuses is apply_failed with its message and code", async () => {
    const zoneId = await seedZone("refuse.example");
    await addRecord(zoneId, { type: "A", name: "www", content: "192.0.2.1" });
    const dns = adapter();
    const plan = await planOk(
      dns,
      job("refuse.example", {
        mode: "custom-domain",
        records: [{ type: "CNAME", name: "www", content: "app.refuse.example", proxied: false, ttl: 1 }],
        allow: {
          hostnames: ["app.refuse.example", "www.refuse.example"],
          delete: false,
          wildcard: false,
          apex: false,
        },
      }),
    );
    const onlyRecord: DnsPlan = { ...plan, changes: plan.changes.filter((c) => c.key.startsWith("record:")) };
    const result = await dns.apply({
      idempotencyKey: asIdempotencyKey("run-9:a"),
      runId: "run-9",
      plan: onlyRecord,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("apply_failed");
    expect(result.error.message).toContain("create CNAME www.refuse.example");
    expect(result.error.message).toContain("An A, AAAA, or CNAME record with that host already exists.");
    expect(result.error.message).toContain("code 81053");
  });

  test("verify_failed: a record removed by someone else right after it was made", async () => {
    const zoneId = await seedZone("verify.example");
    const plan = await planOk(
      adapter(),
      job("verify.example", {
        mode: "custom-domain",
        records: [{ type: "TXT", name: "_v", content: "x", proxied: false, ttl: 1 }],
        allow: {
          hostnames: ["app.verify.example", "_v.verify.example"],
          delete: false,
          wildcard: false,
          apex: false,
        },
      }),
    );
    const onlyRecord: DnsPlan = { ...plan, changes: plan.changes.filter((c) => c.key.startsWith("record:")) };
    // Another actor deletes the record as soon as it exists.
    const racing: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === "POST" && String(input).endsWith("/dns_records")) {
        const made = (await res.clone().json()) as { result: { id: string } };
        await cf("DELETE", `/zones/${zoneId}/dns_records/${made.result.id}`);
      }
      return res;
    };
    const result = await adapter(racing).apply({
      idempotencyKey: asIdempotencyKey("run-10:a"),
      runId: "run-10",
      plan: onlyRecord,
    });
    expect(result).toEqual({
      ok: false,
      error: {
        code: "verify_failed",
        message: expect.stringContaining("record:TXT:_v.verify.example is absent"),
      },
    });
  });
});
