/** The emulator's pure pieces: route matching, workers.dev addressing, DNS names and filters, binding inheritance. */
import { describe, expect, test } from "vitest";
import { resolveBindings } from "../../../src/local/emulator/deploy.ts";
import { filterRecords, normalizeName } from "../../../src/local/emulator/dns-records.ts";
import { clampCompatibilityDate } from "../../../src/local/emulator/miniflare-options.ts";
import { route } from "../../../src/local/emulator/router.ts";
import type { DnsRecordRecord } from "../../../src/local/emulator/state.ts";
import {
  parseWorkersDevHost,
  parseWorkersPath,
  toLocalUrl,
} from "../../../src/local/emulator/workers-dev.ts";

describe("router", () => {
  const routes = [
    { method: "GET", pattern: "/accounts/:account/workers/scripts/:script", value: "get" },
    { method: "PUT", pattern: "/accounts/:account/workers/scripts/:script", value: "put" },
  ];
  test("matches method and path and decodes params", () => {
    expect(route(routes, "PUT", "/accounts/a1/workers/scripts/my%20worker")).toEqual({
      kind: "match",
      match: { value: "put", params: { account: "a1", script: "my worker" } },
    });
  });
  test("tells a known path with another method from an unknown path", () => {
    expect(route(routes, "DELETE", "/accounts/a1/workers/scripts/x").kind).toBe("method-not-allowed");
    expect(route(routes, "GET", "/accounts/a1/workers/nope/x").kind).toBe("none");
  });
});

describe("workers.dev addressing", () => {
  test("maps a public URL to the emulator's path form and back", () => {
    const local = toLocalUrl("https://hello.tmp-1a2b.workers.dev/api/x?q=1", "http://127.0.0.1:8788/");
    expect(local).toBe("http://127.0.0.1:8788/__workers/hello.tmp-1a2b.workers.dev/api/x?q=1");
    expect(parseWorkersPath(new URL(local).pathname + new URL(local).search)).toEqual({
      host: "hello.tmp-1a2b.workers.dev",
      path: "/api/x?q=1",
    });
    expect(parseWorkersPath("/__workers/a.b.workers.dev")).toEqual({ host: "a.b.workers.dev", path: "/" });
  });
  test("parses script and subdomain from a Host header, ignoring the port", () => {
    expect(parseWorkersDevHost("Hello.Tmp-1.workers.dev:8788")).toEqual({
      script: "hello",
      subdomain: "tmp-1",
    });
    expect(parseWorkersDevHost("example.com")).toBeNull();
  });
});

describe("DNS records", () => {
  const rec = (name: string, type: string, content: string): DnsRecordRecord => ({
    id: name + type,
    zoneId: "z",
    zoneName: "example.com",
    type,
    name,
    content,
    ttl: 1,
    proxied: false,
    proxiable: true,
    comment: null,
    tags: [],
    settings: {},
    createdOn: "",
    modifiedOn: "",
  });
  test("normalises relative names and the apex", () => {
    expect(normalizeName("@", "example.com")).toBe("example.com");
    expect(normalizeName("WWW", "example.com")).toBe("www.example.com");
    expect(normalizeName("api.example.com.", "example.com")).toBe("api.example.com");
  });
  test("filters like the SDK's query parameters, all or any", () => {
    const records = [rec("a.example.com", "A", "192.0.2.1"), rec("b.example.com", "TXT", "x")];
    const q = (s: string) => new URLSearchParams(s);
    expect(filterRecords(records, q("name.startswith=a.")).map((r) => r.name)).toEqual(["a.example.com"]);
    expect(filterRecords(records, q("type=TXT&name=a.example.com"))).toEqual([]);
    expect(filterRecords(records, q("type=TXT&name=a.example.com&match=any"))).toHaveLength(2);
  });
});

test("bindings: keep_bindings types and inherit entries carry over from the previous version", () => {
  const previous = [
    { name: "SECRET", type: "secret_text", text: "s" },
    { name: "KV", type: "kv_namespace", namespace_id: "old" },
  ];
  const next = resolveBindings([{ name: "KV", type: "inherit" }], ["secret_text"], previous);
  expect(next).toEqual([previous[1], previous[0]]);
});

test("compatibility dates newer than the bundled runtime are clamped to its newest", () => {
  expect(clampCompatibilityDate("2099-01-01", "2026-07-30")).toBe("2026-07-30");
  expect(clampCompatibilityDate("2025-01-01", "2026-07-30")).toBe("2025-01-01");
});
