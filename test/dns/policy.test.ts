/** What a DNS plan may touch: allowlist, exact hostname, near misses, deletes, wildcards, the apex. */
import { describe, expect, test } from "vitest";
import { damerauLevenshtein } from "../../src/dns/distance.ts";
import { buildPlan } from "../../src/dns/plan.ts";
import { nearMissReason } from "../../src/dns/policy.ts";
import type { DesiredDns } from "../../src/ports/dns.ts";
import { current, desired, record } from "./support.ts";

const planFor = (job: DesiredDns, records = current()) =>
  buildPlan({
    desired: job,
    zone: { id: "z", name: job.zone },
    accountId: "acc",
    current: records,
    readAt: 0,
  });

describe("Damerau-Levenshtein distance", () => {
  test.each([
    ["superseal.club", "superseal.club", 0],
    ["superseal.club", "supersael.club", 1], // adjacent transposition
    ["superseal.club", "superseal.clb", 1], // dropped letter
    ["superseal.club", "supreseal.cluv", 2],
    ["superseal.club", "superseal.cc", 3],
    ["ca", "abc", 2], // unrestricted: a transposition with an insertion between
  ])("%s → %s is %i", (a, b, d) => {
    expect(damerauLevenshtein(a, b)).toBe(d);
    expect(damerauLevenshtein(b, a)).toBe(d);
  });
});

describe("near misses", () => {
  test("the same labels under another suffix", () => {
    expect(nearMissReason("superseal.cc", "superseal.club")).toBe("the same name under a different suffix");
    expect(nearMissReason("app.superseal.co.uk", "app.superseal.com")).toBe(
      "the same name under a different suffix",
    );
  });
  test("a small edit distance, but not equal names or plainly different ones", () => {
    expect(nearMissReason("supersael.club", "superseal.club")).toBe("1 edit apart");
    expect(nearMissReason("shop.superseal.club", "shpo.superseal.club")).toBe("1 edit apart");
    expect(nearMissReason("Superseal.Club.", "superseal.club")).toBeNull();
    expect(nearMissReason("shop.example.com", "superseal.club")).toBeNull();
  });
});

describe("policy findings", () => {
  test("superseal.cc planned where superseal.club was asked: near_miss naming both, blocked", () => {
    const job = desired({
      zone: "superseal.club",
      requestedHostname: "superseal.club",
      hostname: "superseal.cc",
      allow: { hostnames: ["superseal.club"], delete: false, wildcard: false, apex: true },
    });
    const plan = planFor(job);
    expect(plan.blocked).toBe(true);
    const nearMiss = plan.findings.find((f) => f.code === "near_miss");
    expect(nearMiss).toMatchObject({ hostname: "superseal.cc", blocking: true });
    expect(nearMiss!.message).toContain("superseal.cc");
    expect(nearMiss!.message).toContain("superseal.club");
    expect(plan.findings.map((f) => f.code)).toContain("hostname_mismatch");
  });

  test("a typo of an allowed name is a near miss, not merely unlisted", () => {
    const job = desired({
      records: [{ type: "TXT", name: "ap.example.com", content: "x", proxied: false, ttl: 1 }],
    });
    const plan = planFor(job);
    expect(plan.findings).toEqual([
      expect.objectContaining({ code: "near_miss", hostname: "ap.example.com", blocking: true }),
    ]);
    expect(plan.findings[0]!.message).toMatch(
      /ap\.example\.com is a near miss of the requested app\.example\.com/,
    );
  });

  test("a name outside the allowlist is blocked; allowlisting is exact, case-insensitive, trailing dot ignored", () => {
    const blocked = planFor(
      desired({
        records: [{ type: "TXT", name: "status.example.com", content: "x", proxied: false, ttl: 1 }],
      }),
    );
    expect(blocked.blocked).toBe(true);
    expect(blocked.findings).toEqual([
      expect.objectContaining({ code: "not_allowlisted", hostname: "status.example.com" }),
    ]);

    const allowed = planFor(
      desired({
        records: [{ type: "TXT", name: "status.example.com", content: "x", proxied: false, ttl: 1 }],
        allow: {
          hostnames: ["APP.example.com.", "Status.Example.Com."],
          delete: false,
          wildcard: false,
          apex: false,
        },
      }),
    );
    expect(allowed.findings).toEqual([]);
    expect(allowed.blocked).toBe(false);
  });

  test("the served hostname must be the requested one even when both are allowed", () => {
    const plan = planFor(
      desired({
        requestedHostname: "app.example.com",
        hostname: "shop.example.com",
        allow: {
          hostnames: ["app.example.com", "shop.example.com"],
          delete: false,
          wildcard: false,
          apex: false,
        },
      }),
    );
    expect(plan.findings).toEqual([
      expect.objectContaining({ code: "hostname_mismatch", hostname: "shop.example.com" }),
    ]);
    expect(plan.findings[0]!.message).toContain("app.example.com");
  });

  test("deletes need allowDelete, whether or not the record exists", () => {
    const job = desired({
      deletes: [{ type: "TXT", name: "app.example.com" }],
    });
    const withRecord = planFor(job, current({ records: [record("t", "TXT", "app.example.com", "x")] }));
    const without = planFor(job);
    for (const plan of [withRecord, without]) {
      expect(plan.findings).toEqual([
        expect.objectContaining({
          code: "deletion_not_allowed",
          hostname: "app.example.com",
          blocking: true,
        }),
      ]);
    }
    expect(planFor({ ...job, allow: { ...job.allow, delete: true } }).blocked).toBe(false);
  });

  test("wildcard names need allowWildcard", () => {
    const job = desired({
      records: [{ type: "CNAME", name: "*.example.com", content: "app.example.com", proxied: false, ttl: 1 }],
      allow: { hostnames: ["app.example.com", "*.example.com"], delete: false, wildcard: false, apex: false },
    });
    expect(planFor(job).findings).toEqual([
      expect.objectContaining({ code: "wildcard_not_allowed", hostname: "*.example.com" }),
    ]);
    expect(planFor({ ...job, allow: { ...job.allow, wildcard: true } }).blocked).toBe(false);
  });

  test("the zone apex needs allowApex", () => {
    const job = desired({
      hostname: "example.com",
      requestedHostname: "example.com",
      allow: { hostnames: ["example.com"], delete: false, wildcard: false, apex: false },
    });
    expect(planFor(job).findings).toEqual([
      expect.objectContaining({ code: "apex_not_allowed", hostname: "example.com" }),
    ]);
    expect(planFor({ ...job, allow: { ...job.allow, apex: true } }).findings).toEqual([]);
  });
});
