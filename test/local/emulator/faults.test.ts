/**
 * Fault injection (`/__emulator/faults`): `status` answers an error and does
 * nothing, `drop` cuts the connection and does nothing, `hang` does the work
 * and never answers. Every faulted request is in the request log.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import { adminFetch, provisionAccount, waitFor } from "./support.ts";

let emu: Emulator;
let account: { id: string; token: string };
let zoneId: string;

const admin = (method: string, path: string, body?: unknown) =>
  adminFetch(emu, `/__emulator/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const records = () => `/client/v4/zones/${zoneId}/dns_records`;

const createRecord = (name: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`${emu.url}${records()}`, {
    method: "POST",
    headers: { authorization: `Bearer ${account.token}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ type: "TXT", name, content: "x" }),
    ...(signal ? { signal } : {}),
  });

async function recordNames(): Promise<string[]> {
  const res = await fetch(`${emu.url}${records()}`, {
    headers: { authorization: `Bearer ${account.token}` },
  });
  return ((await res.json()) as { result: { name: string }[] }).result.map((r) => r.name).sort();
}

beforeAll(async () => {
  emu = await startEmulator({ log: () => {} });
  account = await provisionAccount(emu);
  const seeded = await admin("POST", "zones", { name: "faults.example" });
  zoneId = ((await seeded.json()) as { result: { id: string } }).result.id;
});
beforeEach(async () => {
  await admin("DELETE", "faults");
});
afterAll(async () => {
  await emu.close();
  rmSync(emu.stateDir, { recursive: true, force: true });
});

describe("fault injection", () => {
  test("status: the next `times` matching requests get that status and nothing is done; then it is spent", async () => {
    const added = await admin("POST", "faults", {
      method: "post",
      pathPrefix: records(),
      action: "status",
      status: 503,
      times: 2,
    });
    expect(added.status).toBe(200);
    expect(await added.json()).toMatchObject({ action: "status", status: 503, method: "POST", remaining: 2 });
    const since = emu.requestLog.lastSeq;
    const first = await createRecord("s1");
    expect(first.status).toBe(503);
    expect(await first.json()).toMatchObject({
      success: false,
      errors: [{ message: "Injected fault: HTTP 503" }],
    });
    expect((await createRecord("s2")).status).toBe(503);
    expect((await createRecord("s3")).status).toBe(200);
    expect(await recordNames()).toEqual(["s3.faults.example"]);
    const logged = emu.requestLog.list({ since: String(since), method: "POST" });
    expect(logged.map((e) => [e.status, e.fault ?? null])).toEqual([
      [503, "status"],
      [503, "status"],
      [200, null],
    ]);
    expect(await (await admin("GET", "faults")).json()).toEqual([
      expect.objectContaining({ remaining: 0, hits: 2 }),
    ]);
  });

  test("drop: the connection closes without an answer and nothing is done", async () => {
    await admin("POST", "faults", { pathRegex: "/dns_records$", method: "POST", action: "drop" });
    const since = emu.requestLog.lastSeq;
    await expect(createRecord("d1")).rejects.toThrow();
    expect(await recordNames()).not.toContain("d1.faults.example");
    expect(emu.requestLog.list({ since: String(since), method: "POST" })).toEqual([
      expect.objectContaining({ path: records(), status: 0, fault: "drop" }),
    ]);
  });

  test("hang: the change is made, the answer never comes; the same Idempotency-Key then replays it", async () => {
    await admin("POST", "faults", { pathPrefix: records(), method: "POST", action: "hang" });
    const since = emu.requestLog.lastSeq;
    const caller = new AbortController();
    const hung = createRecord("h1", { "idempotency-key": "hang-1" }, caller.signal);
    await waitFor(async () => emu.requestLog.list({ since: String(since), method: "POST" }).length > 0);
    expect(emu.requestLog.list({ since: String(since), method: "POST" })).toEqual([
      expect.objectContaining({ status: 200, fault: "hang" }),
    ]);
    expect(await recordNames()).toContain("h1.faults.example");
    caller.abort();
    await expect(hung).rejects.toThrow();

    const retried = await createRecord("h1", { "idempotency-key": "hang-1" });
    expect(retried.status).toBe(200);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect((await recordNames()).filter((n) => n === "h1.faults.example")).toHaveLength(1);
  });

  test("clearing the faults drops connections that hang", async () => {
    await admin("POST", "faults", { pathPrefix: records(), action: "hang" });
    const since = emu.requestLog.lastSeq;
    const hung = createRecord("h2");
    await waitFor(async () => emu.requestLog.list({ since: String(since), method: "POST" }).length > 0);
    const cleared = await admin("DELETE", "faults");
    expect(await cleared.json()).toEqual({ ok: true, dropped: 1 });
    await expect(hung).rejects.toThrow();
    expect(await (await admin("GET", "faults")).json()).toEqual([]);
  });

  test("the admin API is never faulted", async () => {
    await admin("POST", "faults", { pathPrefix: "/", action: "status", status: 500, times: 5 });
    expect((await admin("GET", "health")).status).toBe(200);
    expect(await (await admin("GET", "faults")).json()).toEqual([expect.objectContaining({ hits: 0 })]);
  });

  test("a fault must name one of pathPrefix and pathRegex, and a valid regular expression", async () => {
    const both = await admin("POST", "faults", { pathPrefix: "/a", pathRegex: "a", action: "drop" });
    expect(both.status).toBe(400);
    expect(JSON.stringify(await both.json())).toContain("exactly one of pathPrefix and pathRegex");
    const bad = await admin("POST", "faults", { pathRegex: "(", action: "drop" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("is not a valid regular expression");
    const unknown = await admin("POST", "faults", { pathPrefix: "/", action: "explode" });
    expect(unknown.status).toBe(400);
  });
});
