/**
 * The Dns port's contract, written once and run against the Cloudflare DNS
 * adapter (the emulator over HTTP, the production journal) and the test fake.
 * What a Dns promises (src/ports/dns.ts): `plan` reads the zone into a plan of
 * the schema's shape — exactly what was asked, each change before → after —
 * or fails with a documented code; `apply` makes each change once, in plan
 * order (a retried step with the same key finds its earlier result and sends
 * nothing), returns the inverse that undoes it, and refuses a blocked plan.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DesiredDns, type Dns, type DnsPlan, dnsPlanSchema } from "../../src/ports/dns.ts";
import { asIdempotencyKey, DNS_ERROR_CODES } from "../../src/ports/vocabulary.ts";

export interface DnsContractTarget {
  dns: Dns;
  /** A zone the account has, and a Worker it may serve a custom domain from. */
  zone(): Promise<{ zone: string; workerName: string }>;
  /** How many changes reached the DNS provider so far (for the run, where the provider keeps it so). */
  writes(runId: string): Promise<number>;
  dispose(): Promise<void>;
}

/** Known departures, declared by the runner: their tests are expected to fail until fixed. */
export type DnsGap = "applies-a-repeated-key-again" | "plans-any-zone" | "applies-a-blocked-plan";

export function dnsContract(
  label: string,
  options: { gaps?: readonly DnsGap[] },
  makeTarget: () => Promise<DnsContractTarget>,
): void {
  describe(`Dns contract: ${label}`, () => {
    let t: DnsContractTarget;
    let n = 0;
    const runId = () => `contract-${Date.now().toString(36)}-${n++}`;
    const gap = (name: DnsGap) => (options.gaps?.includes(name) ? it.fails : it);
    const desired = (zone: string, workerName: string): DesiredDns => ({
      zone,
      requestedHostname: `app.${zone}`,
      hostname: `app.${zone}`,
      mode: "custom-domain",
      workerName,
      records: [],
      deletes: [],
      allow: { hostnames: [`app.${zone}`], delete: false, wildcard: false, apex: false },
    });
    const planned = async (run: string): Promise<DnsPlan> => {
      const { zone, workerName } = await t.zone();
      const result = await t.dns.plan({ runId: run, desired: desired(zone, workerName) });
      if (!result.ok) throw new Error(`plan failed: ${result.error.code}: ${result.error.message}`);
      return result.value;
    };

    beforeAll(async () => {
      t = await makeTarget();
    });
    afterAll(async () => {
      await t?.dispose();
    });

    it("plans the custom domain a job asks for, in the schema's shape", async () => {
      const { zone, workerName } = await t.zone();
      const result = await t.dns.plan({ runId: runId(), desired: desired(zone, workerName) });
      if (!result.ok) throw new Error(`plan failed: ${result.error.code}`);
      const plan = result.value;
      expect(dnsPlanSchema.parse(plan)).toEqual(plan);
      expect(plan).toMatchObject({
        zone: { name: zone },
        requestedHostname: `app.${zone}`,
        hostname: `app.${zone}`,
        mode: "custom-domain",
        workerName,
        findings: [],
        blocked: false,
      });
      expect(plan.changes).toEqual([
        {
          action: "create",
          key: `custom-domain:app.${zone}`,
          before: null,
          after: { kind: "custom-domain", id: null, hostname: `app.${zone}`, service: workerName },
        },
      ]);
    });

    gap("plans-any-zone")("fails to plan a zone the account does not have, with zone_not_found", async () => {
      const { workerName } = await t.zone();
      const result = await t.dns.plan({ runId: runId(), desired: desired("not-ours.example", workerName) });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(DNS_ERROR_CODES).toContain(result.error.code);
      expect(result.error.code).toBe("zone_not_found");
      expect(result.error.message).toContain("not-ours.example");
    });

    it("applies each change once, in plan order, and returns the inverse that undoes it", async () => {
      const run = runId();
      const plan = await planned(run);
      const before = await t.writes(run);
      const result = await t.dns.apply({
        idempotencyKey: asIdempotencyKey(`${run}:applyDns#1`),
        runId: run,
        plan,
      });
      if (!result.ok) throw new Error(`apply failed: ${result.error.code}: ${result.error.message}`);
      const [change] = plan.changes;
      expect(result.value.applied).toEqual([
        {
          key: change!.key,
          action: "create",
          // The resource as made: what was planned, with the id the provider gave it.
          result: expect.objectContaining({
            kind: "custom-domain",
            hostname: plan.hostname,
            service: plan.workerName,
          }),
          replayed: false,
        },
      ]);
      expect(result.value.inverse).toEqual([
        {
          action: "delete",
          key: change!.key,
          before: expect.objectContaining({ kind: "custom-domain" }),
          after: null,
        },
      ]);
      expect((await t.writes(run)) - before).toBe(1);
    });

    gap("applies-a-repeated-key-again")(
      "a retried apply with the same key replays and sends nothing",
      async () => {
        const run = runId();
        const plan = await planned(run);
        const key = asIdempotencyKey(`${run}:applyDns#1`);
        const first = await t.dns.apply({ idempotencyKey: key, runId: run, plan });
        const writes = await t.writes(run);
        const again = await t.dns.apply({ idempotencyKey: key, runId: run, plan });
        if (!first.ok || !again.ok) throw new Error(JSON.stringify([first, again]));
        expect(again.value.applied.map((a) => [a.key, a.action, a.replayed])).toEqual(
          first.value.applied.map((a) => [a.key, a.action, true]),
        );
        expect(again.value.applied.map((a) => a.result)).toEqual(first.value.applied.map((a) => a.result));
        expect(await t.writes(run)).toBe(writes);
      },
    );

    gap("applies-a-blocked-plan")("refuses a blocked plan with blocked, and sends nothing", async () => {
      const run = runId();
      const plan = await planned(run);
      const blocked: DnsPlan = {
        ...plan,
        findings: [{ code: "near_miss", hostname: plan.hostname, message: "a near miss", blocking: true }],
        blocked: true,
      };
      const before = await t.writes(run);
      const result = await t.dns.apply({
        idempotencyKey: asIdempotencyKey(`${run}:applyDns#1`),
        runId: run,
        plan: blocked,
      });
      expect(result).toMatchObject({ ok: false, error: { code: "blocked" } });
      expect(await t.writes(run)).toBe(before);
    });
  });
}
