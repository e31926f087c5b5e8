/** The pure planner: from the job's DNS section and the zone's state to the exact changes. */
import { describe, expect, test } from "vitest";
import { buildPlan, planChanges, recordNamesToRead } from "../../src/dns/plan.ts";
import { current, desired, record } from "./support.ts";

describe("custom-domain mode", () => {
  test("a hostname with no custom domain is created for the Worker", () => {
    expect(planChanges(desired(), current())).toEqual([
      {
        action: "create",
        key: "custom-domain:app.example.com",
        before: null,
        after: { kind: "custom-domain", id: null, hostname: "app.example.com", service: "shop" },
      },
    ]);
  });

  test("a custom domain serving another Worker is updated, keeping its id", () => {
    const existing = {
      kind: "custom-domain" as const,
      id: "d1",
      hostname: "app.example.com",
      service: "old",
    };
    expect(planChanges(desired(), current({ customDomains: [existing] }))).toEqual([
      {
        action: "update",
        key: "custom-domain:app.example.com",
        before: existing,
        after: { ...existing, service: "shop" },
      },
    ]);
  });

  test("a custom domain already serving the Worker is a no-op", () => {
    const existing = {
      kind: "custom-domain" as const,
      id: "d1",
      hostname: "APP.example.com.",
      service: "shop",
    };
    const [change] = planChanges(desired(), current({ customDomains: [existing] }));
    expect(change).toMatchObject({ action: "noop", before: existing, after: existing });
  });
});

describe("route mode", () => {
  const routeJob = desired({ mode: "route" });

  test("creates a proxied AAAA 100:: record and a route hostname/* to the Worker, in that order", () => {
    expect(planChanges(routeJob, current())).toEqual([
      {
        action: "create",
        key: "record:AAAA:app.example.com",
        before: null,
        after: record(null, "AAAA", "app.example.com", "100::", { proxied: true }),
      },
      {
        action: "create",
        key: "route:app.example.com/*",
        before: null,
        after: { kind: "route", id: null, pattern: "app.example.com/*", script: "shop" },
      },
    ]);
  });

  test("an existing placeholder and route are no-ops; a route to another Worker is updated", () => {
    const aaaa = record("r1", "AAAA", "app.example.com", "100::", { proxied: true });
    const route = { kind: "route" as const, id: "rt1", pattern: "app.example.com/*", script: "old" };
    const changes = planChanges(routeJob, current({ records: [aaaa], routes: [route] }));
    expect(changes.map((c) => [c.action, c.key])).toEqual([
      ["noop", "record:AAAA:app.example.com"],
      ["update", "route:app.example.com/*"],
    ]);
    expect(changes[1]!.after).toEqual({ ...route, script: "shop" });
  });

  test("an AAAA record at the hostname with other content is updated in place", () => {
    const aaaa = record("r1", "AAAA", "app.example.com", "2001:db8::1");
    const [change] = planChanges(routeJob, current({ records: [aaaa] }));
    expect(change).toEqual({
      action: "update",
      key: "record:AAAA:app.example.com",
      before: aaaa,
      after: record("r1", "AAAA", "app.example.com", "100::", { proxied: true }),
    });
  });
});

describe("extra records and deletes", () => {
  test("records are created or updated by type and name; relative names get the zone; proxied means ttl auto", () => {
    const job = desired({
      records: [
        { type: "txt", name: "_verify", content: "token-2", proxied: false, ttl: 300 },
        { type: "CNAME", name: "www", content: "app.example.com", proxied: true, ttl: 600 },
        { type: "A", name: "@", content: "192.0.2.1", proxied: false, ttl: 1 },
      ],
      allow: {
        hostnames: ["app.example.com", "_verify.example.com", "www.example.com", "example.com"],
        delete: false,
        wildcard: false,
        apex: true,
      },
    });
    const txt = record("t1", "TXT", "_verify.example.com", "token-1", { ttl: 300 });
    const apex = record("a1", "A", "example.com", "192.0.2.1");
    const changes = planChanges(job, current({ records: [txt, apex] }));
    expect(changes.map((c) => [c.action, c.key])).toEqual([
      ["create", "custom-domain:app.example.com"],
      ["update", "record:TXT:_verify.example.com"],
      ["create", "record:CNAME:www.example.com"],
      ["noop", "record:A:example.com"],
    ]);
    expect(changes[1]!.after).toEqual({ ...txt, content: "token-2" });
    expect(changes[2]!.after).toEqual(
      record(null, "CNAME", "www.example.com", "app.example.com", { proxied: true, ttl: 1 }),
    );
  });

  test("deletes come first; a missing record is a no-op; several of one type and name each get a key", () => {
    const job = desired({
      deletes: [
        { type: "cname", name: "app" },
        { type: "TXT", name: "gone.example.com" },
        { type: "TXT", name: "old.example.com" },
      ],
    });
    const cname = record("c1", "CNAME", "app.example.com", "legacy.example.net");
    const old1 = record("o1", "TXT", "old.example.com", "a");
    const old2 = record("o2", "TXT", "old.example.com", "b");
    const changes = planChanges(job, current({ records: [cname, old1, old2] }));
    expect(changes).toEqual([
      { action: "delete", key: "record:CNAME:app.example.com", before: cname, after: null },
      { action: "noop", key: "record:TXT:gone.example.com", before: null, after: null },
      { action: "delete", key: "record:TXT:old.example.com", before: old1, after: null },
      { action: "delete", key: "record:TXT:old.example.com#2", before: old2, after: null },
      {
        action: "create",
        key: "custom-domain:app.example.com",
        before: null,
        after: { kind: "custom-domain", id: null, hostname: "app.example.com", service: "shop" },
      },
    ]);
  });

  test("a record the job deletes is not also updated: the wanted one is created anew", () => {
    const job = desired({
      records: [{ type: "TXT", name: "x.example.com", content: "new", proxied: false, ttl: 1 }],
      deletes: [{ type: "TXT", name: "x.example.com" }],
    });
    const old = record("x1", "TXT", "x.example.com", "old");
    const changes = planChanges(job, current({ records: [old] }));
    expect(changes.map((c) => [c.action, c.key])).toEqual([
      ["delete", "record:TXT:x.example.com"],
      ["create", "custom-domain:app.example.com"],
      ["create", "record:TXT:x.example.com#2"],
    ]);
  });

  test("of several records of one type and name, the one with the wanted content is kept", () => {
    const job = desired({
      records: [{ type: "TXT", name: "v.example.com", content: "keep", proxied: false, ttl: 1 }],
    });
    const other = record("v1", "TXT", "v.example.com", "other");
    const keep = record("v2", "TXT", "v.example.com", "keep");
    const changes = planChanges(job, current({ records: [other, keep] }));
    expect(changes[1]).toEqual({
      action: "noop",
      key: "record:TXT:v.example.com",
      before: keep,
      after: keep,
    });
  });

  test("the names to read cover the hostname (route mode), records and deletes, once each", () => {
    const job = desired({
      mode: "route",
      records: [{ type: "TXT", name: "app", content: "x", proxied: false, ttl: 1 }],
      deletes: [{ type: "A", name: "old" }],
    });
    expect(recordNamesToRead(job)).toEqual(["app.example.com", "old.example.com"]);
  });
});

describe("the whole plan", () => {
  test("carries zone, account, hostnames, findings and blocked", () => {
    const plan = buildPlan({
      desired: desired({ hostname: "App.Example.com." }),
      zone: { id: "z1", name: "example.com" },
      accountId: "acc",
      current: current(),
      readAt: 1234,
    });
    expect(plan).toMatchObject({
      zone: { id: "z1", name: "example.com" },
      accountId: "acc",
      requestedHostname: "app.example.com",
      hostname: "app.example.com",
      mode: "custom-domain",
      workerName: "shop",
      findings: [],
      blocked: false,
      readAt: 1234,
    });
    expect(plan.changes).toHaveLength(1);
  });
});
