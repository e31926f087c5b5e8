/** Undoing an apply: each change turned around, in the reverse order. */
import { expect, test } from "vitest";
import { inversePlan, invertChanges } from "../../src/dns/inverse.ts";
import { buildPlan } from "../../src/dns/plan.ts";
import { current, desired, record } from "./support.ts";

test("create → delete of the created id, update → back to before, delete → create before; reverse order; no-ops skipped", () => {
  const created = record("new-id", "AAAA", "app.example.com", "100::", { proxied: true });
  const before = record("t1", "TXT", "v.example.com", "old");
  const updated = { ...before, content: "new" };
  const deleted = record("c1", "CNAME", "legacy.example.com", "x.example.net");
  const noop = record("n1", "TXT", "keep.example.com", "k");
  const inverse = invertChanges([
    {
      change: { action: "delete", key: "record:CNAME:legacy.example.com", before: deleted, after: null },
      result: null,
    },
    {
      change: {
        action: "create",
        key: "record:AAAA:app.example.com",
        before: null,
        after: { ...created, id: null },
      },
      result: created,
    },
    {
      change: { action: "update", key: "record:TXT:v.example.com", before, after: updated },
      result: updated,
    },
    {
      change: { action: "noop", key: "record:TXT:keep.example.com", before: noop, after: noop },
      result: noop,
    },
  ]);
  expect(inverse).toEqual([
    { action: "update", key: "record:TXT:v.example.com", before: updated, after: before },
    { action: "delete", key: "record:AAAA:app.example.com", before: created, after: null },
    {
      action: "create",
      key: "record:CNAME:legacy.example.com",
      before: null,
      after: { ...deleted, id: null },
    },
  ]);
});

test("an inverse plan keeps the zone and account, and carries no findings", () => {
  const plan = buildPlan({
    desired: desired({ hostname: "x.example.com", requestedHostname: "app.example.com" }),
    zone: { id: "z", name: "example.com" },
    accountId: "acc",
    current: current(),
    readAt: 1,
  });
  expect(plan.blocked).toBe(true);
  const back = inversePlan(plan, { inverse: [] }, 99);
  expect(back).toMatchObject({
    zone: plan.zone,
    accountId: "acc",
    findings: [],
    blocked: false,
    readAt: 99,
    changes: [],
  });
});
