/**
 * Zones, DNS records, Workers custom domains and routes over the API the
 * `cloudflare` SDK and wrangler use, including idempotency keys: the same key
 * twice creates once and replays the first answer.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import { adminFetch, getWithHost, provisionAccount, uploadWorker } from "./support.ts";

interface Envelope<T> {
  success: boolean;
  errors: { code: number; message: string }[];
  result: T;
  result_info?: { count: number; total_count: number };
}
interface DnsRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  proxied: boolean;
  ttl: number;
}
interface Domain {
  id: string;
  hostname: string;
  service: string;
  zone_id: string;
  zone_name: string;
}

let emu: Emulator;
let account: { id: string; token: string; subdomain: string };
let zoneId: string;

async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${emu.apiBaseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${account.token}`, "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Envelope<T> };
}

beforeAll(async () => {
  emu = await startEmulator({ log: () => {} });
  account = await provisionAccount(emu);
  const seeded = await adminFetch(emu, `/__emulator/zones`, {
    method: "POST",
    body: JSON.stringify({ name: "example.com" }),
  });
  zoneId = ((await seeded.json()) as Envelope<{ id: string }>).result.id;
});
afterAll(async () => {
  await emu.close();
  rmSync(emu.stateDir, { recursive: true, force: true });
});

describe("zones", () => {
  test("a seeded zone is found by name and account, as wrangler looks it up", async () => {
    const found = await api<{ id: string; name: string }[]>(
      "GET",
      `/zones?name=example.com&account.id=${account.id}`,
    );
    expect(found.body.result).toEqual([expect.objectContaining({ id: zoneId, name: "example.com" })]);
    expect((await api<unknown[]>("GET", "/zones?name=api.example.com")).body.result).toEqual([]);
  });
});

describe("DNS records", () => {
  test("create, list with filters, get, patch, put and delete", async () => {
    const base = `/zones/${zoneId}/dns_records`;
    const created = await api<DnsRecord>("POST", base, {
      type: "AAAA",
      name: "app",
      content: "100::",
      proxied: true,
      ttl: 1,
    });
    expect(created.status).toBe(200);
    expect(created.body.result).toMatchObject({
      name: "app.example.com",
      type: "AAAA",
      content: "100::",
      proxied: true,
    });
    const id = created.body.result.id;
    await api("POST", base, { type: "TXT", name: "example.com", content: "hello" });

    const exact = await api<DnsRecord[]>("GET", `${base}?name.exact=app.example.com`);
    expect(exact.body.result.map((r) => r.id)).toEqual([id]);
    expect((await api<DnsRecord[]>("GET", `${base}?type=TXT`)).body.result).toHaveLength(1);
    expect(
      (await api<DnsRecord[]>("GET", `${base}?name.endswith=example.com`)).body.result_info?.total_count,
    ).toBe(2);

    const duplicate = await api("POST", base, {
      type: "AAAA",
      name: "app.example.com",
      content: "100::",
      proxied: true,
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.errors[0]!.code).toBe(81057);

    const patched = await api<DnsRecord>("PATCH", `${base}/${id}`, { content: "100::1" });
    expect(patched.body.result).toMatchObject({
      id,
      content: "100::1",
      proxied: true,
      name: "app.example.com",
    });
    const put = await api<DnsRecord>("PUT", `${base}/${id}`, {
      type: "A",
      name: "app.example.com",
      content: "192.0.2.1",
      ttl: 300,
    });
    expect(put.body.result).toMatchObject({ id, type: "A", content: "192.0.2.1", proxied: false, ttl: 300 });
    expect((await api<DnsRecord>("GET", `${base}/${id}`)).body.result.content).toBe("192.0.2.1");

    const deleted = await api<{ id: string }>("DELETE", `${base}/${id}`);
    expect(deleted.body.result).toEqual({ id });
    expect((await api("GET", `${base}/${id}`)).status).toBe(404);
    expect((await api<DnsRecord[]>("GET", `${base}?name=app.example.com`)).body.result).toEqual([]);
  });

  test("the same Idempotency-Key twice creates one record and replays the first answer", async () => {
    const base = `/zones/${zoneId}/dns_records`;
    const body = { type: "CNAME", name: "www", content: "example.net", proxied: false };
    const key = { "idempotency-key": "create-www-1" };
    const first = await api<DnsRecord>("POST", base, body, key);
    const second = await api<DnsRecord>("POST", base, body, key);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect((await api<DnsRecord[]>("GET", `${base}?name=www.example.com`)).body.result).toHaveLength(1);
    const posts = emu.requestLog.list({ path: `/zones/${zoneId}/dns_records`, method: "POST" });
    expect(posts.filter((p) => p.headers["idempotency-key"] === "create-www-1")).toHaveLength(2);
  });
});

describe("Workers custom domains and routes", () => {
  test("attach, list, update, serve and detach a custom domain", async () => {
    for (const [name, text] of [
      ["site-a", "A"],
      ["site-b", "B"],
    ]) {
      const up = await uploadWorker(
        emu,
        account,
        name!,
        `export default { fetch() { return new Response("${text}"); } };`,
      );
      expect(up.status).toBe(200);
    }
    const attached = await api<Domain>("PUT", `/accounts/${account.id}/workers/domains`, {
      hostname: "shop.example.com",
      service: "site-a",
      zone_id: zoneId,
    });
    expect(attached.body.result).toMatchObject({
      hostname: "shop.example.com",
      service: "site-a",
      zone_name: "example.com",
    });
    const id = attached.body.result.id;
    expect((await getWithHost(emu.url, "shop.example.com", "/")).body).toBe("A");

    const listed = await api<Domain[]>(
      "GET",
      `/accounts/${account.id}/workers/domains?hostname=shop.example.com`,
    );
    expect(listed.body.result.map((d) => d.id)).toEqual([id]);

    const moved = await api<Domain>("PUT", `/accounts/${account.id}/workers/domains`, {
      hostname: "shop.example.com",
      service: "site-b",
    });
    expect(moved.body.result).toMatchObject({ id, service: "site-b" });
    expect(
      (await api<Domain>("GET", `/accounts/${account.id}/workers/domains/${id}`)).body.result.service,
    ).toBe("site-b");
    expect((await getWithHost(emu.url, "shop.example.com", "/")).body).toBe("B");

    expect((await api("DELETE", `/accounts/${account.id}/workers/domains/${id}`)).status).toBe(200);
    expect((await api<Domain[]>("GET", `/accounts/${account.id}/workers/domains`)).body.result).toEqual([]);
    expect((await getWithHost(emu.url, "shop.example.com", "/")).status).toBe(404);
  });

  test("a custom domain outside any zone is refused", async () => {
    const res = await api("PUT", `/accounts/${account.id}/workers/domains`, {
      hostname: "nope.invalid",
      service: "site-a",
    });
    expect(res.status).toBe(400);
    expect(res.body.success).toBe(false);
  });

  test("zone routes: create, list, update, delete", async () => {
    const base = `/zones/${zoneId}/workers/routes`;
    const created = await api<{ id: string; pattern: string; script: string }>("POST", base, {
      pattern: "api.example.com/*",
      script: "site-a",
    });
    expect(created.body.result).toMatchObject({ pattern: "api.example.com/*", script: "site-a" });
    const id = created.body.result.id;
    expect((await api<unknown[]>("GET", base)).body.result).toHaveLength(1);
    const updated = await api<{ script: string }>("PUT", `${base}/${id}`, {
      pattern: "api.example.com/v2/*",
      script: "site-b",
    });
    expect(updated.body.result.script).toBe("site-b");
    expect((await api<{ id: string }>("DELETE", `${base}/${id}`)).body.result).toEqual({ id });
    expect((await api<unknown[]>("GET", base)).body.result).toEqual([]);
  });
});
