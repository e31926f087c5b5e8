/**
 * The Dns port over the organisation's own Cloudflare account (or the local
 * emulator), through the official `cloudflare` SDK. Runs in the Worker.
 *
 * `plan` finds the zone, reads what the plan compares with (records by name,
 * the hostname's custom domain, the zone's routes) and hands it to the pure
 * planner and policy (`src/dns/`).
 *
 * `apply` makes each change once, even across crashes and retries:
 * 1. the journal (`<idempotencyKey>:<index>`) says the change was made → replayed;
 * 2. else the resource is re-read: already as `after` → replayed (an earlier
 *    attempt made it and crashed before writing the journal); as `before` →
 *    the call is made, with `Idempotency-Key: <idempotencyKey>:<index>`;
 *    anything else → `drift`: the approved plan no longer describes the zone;
 * 3. the result goes to the journal.
 * Then every resource is read again and must be as planned (`verify_failed`).
 * Transient faults (connection lost, 429, 5xx) throw: the Workflow step
 * retries the whole apply, and steps 1–2 make that safe.
 */
import { type CurrentDns, describeResource, sameResource } from "../../dns/resources.ts";
import { invertChanges } from "../../dns/inverse.ts";
import { buildPlan, recordNamesToRead, normalizeDesired } from "../../dns/plan.ts";
import { routePattern } from "../../dns/names.ts";
import type {
  DesiredDns,
  Dns,
  DnsApplied,
  DnsChange,
  DnsError,
  DnsPlan,
  DnsResource,
} from "../../ports/dns.ts";
import { err, ok, type Result } from "../../ports/result.ts";
import { type IdempotencyKey, subKey } from "../../ports/vocabulary.ts";
import {
  type CloudflareAccount,
  type CloudflareDnsApi,
  CloudflareRefused,
  cloudflareDnsApi,
} from "./cloudflare-api.ts";
import { type DnsJournal, parseJournalEntry } from "./journal.ts";

export interface CloudflareDnsOptions extends CloudflareAccount {
  journal: DnsJournal;
  /** ms since epoch; when a plan says it read the zone. */
  now: () => number;
}

export function createCloudflareDns(options: CloudflareDnsOptions): Dns {
  const api = cloudflareDnsApi(options);
  return {
    plan: ({ desired }) => planDns(api, options, desired),
    apply: ({ idempotencyKey, plan }) => applyPlan(api, options, idempotencyKey, plan),
  };
}

async function readCurrent(api: CloudflareDnsApi, zoneId: string, desired: DesiredDns): Promise<CurrentDns> {
  const d = normalizeDesired(desired);
  // Each name once (`recordNamesToRead` deduplicates), so each record comes back once.
  const records = (
    await Promise.all(recordNamesToRead(d).map((name) => api.listRecords(zoneId, name)))
  ).flat();
  const customDomain = d.mode === "custom-domain" ? await api.findCustomDomain(d.hostname) : null;
  const pattern = routePattern(d.hostname);
  const routes =
    d.mode === "route"
      ? (await api.listRoutes(zoneId)).filter((r) => r.pattern.toLowerCase() === pattern)
      : [];
  return { records, customDomains: customDomain ? [customDomain] : [], routes };
}

async function planDns(
  api: CloudflareDnsApi,
  options: CloudflareDnsOptions,
  desired: DesiredDns,
): Promise<Result<DnsPlan, DnsError>> {
  try {
    const zone = await api.findZone(desired.zone);
    if (!zone) {
      return err({
        code: "zone_not_found",
        message: `zone ${desired.zone} is not in Cloudflare account ${options.accountId} (or the API token cannot see it)`,
      });
    }
    const current = await readCurrent(api, zone.id, desired);
    return ok(buildPlan({ desired, zone, accountId: options.accountId, current, readAt: options.now() }));
  } catch (error) {
    if (error instanceof CloudflareRefused && (error.status === 401 || error.status === 403)) {
      return err({
        code: "not_configured",
        message: `${error.message}: check the API token for account ${options.accountId} (it needs DNS and Workers routes edit)`,
      });
    }
    if (error instanceof CloudflareRefused)
      throw new Error(`planning DNS for ${desired.hostname}: ${error.message}`);
    throw error;
  }
}

/** The resource a change is about, as the API holds it now (null: absent). */
async function readNow(
  api: CloudflareDnsApi,
  zoneId: string,
  change: DnsChange,
  known: Set<string>,
): Promise<DnsResource | null> {
  const shape = change.after ?? change.before;
  if (!shape) return null;
  const id = change.before?.id ?? change.after?.id ?? null;
  switch (shape.kind) {
    case "record": {
      if (id) return api.getRecord(zoneId, id);
      // A create: the record made by an earlier attempt, else one of this type and name
      // that nobody planned for (someone made it since the plan: drift), else absent.
      const found = (await api.listRecords(zoneId, shape.name)).filter((r) => r.type === shape.type);
      return (
        found.find((r) => sameResource(r, shape)) ??
        found.find((r) => r.id !== null && !known.has(r.id)) ??
        null
      );
    }
    case "custom-domain":
      return api.findCustomDomain(shape.hostname);
    case "route": {
      if (id) return api.getRoute(zoneId, id);
      const routes = await api.listRoutes(zoneId);
      return routes.find((r) => r.pattern.toLowerCase() === shape.pattern.toLowerCase()) ?? null;
    }
  }
}

/** Makes one change; `current` is the resource as just read (equal to `change.before`). */
async function send(
  api: CloudflareDnsApi,
  zoneId: string,
  change: DnsChange,
  current: DnsResource | null,
  key: string,
): Promise<DnsResource | null> {
  const { after } = change;
  if (change.action === "delete") {
    if (!current) return null;
    if (current.kind === "record") await api.deleteRecord(zoneId, current, key);
    else if (current.kind === "custom-domain") await api.deleteCustomDomain(current, key);
    else await api.deleteRoute(zoneId, current, key);
    return null;
  }
  if (!after) throw new Error(`change ${change.key} (${change.action}) has no "after" resource`);
  const id = current?.id ?? null;
  switch (after.kind) {
    case "record":
      return id ? api.updateRecord(zoneId, id, after, key) : api.createRecord(zoneId, after, key);
    case "custom-domain":
      return api.putCustomDomain(zoneId, after, key);
    case "route":
      return id ? api.updateRoute(zoneId, id, after, key) : api.createRoute(zoneId, after, key);
  }
}

function blockedMessage(plan: DnsPlan): string {
  const blocking = plan.findings.filter((f) => f.blocking).map((f) => `${f.code}: ${f.message}`);
  return `the DNS plan for ${plan.hostname} is blocked by policy, so it is not applied: ${blocking.join("; ")}`;
}

async function applyPlan(
  api: CloudflareDnsApi,
  options: CloudflareDnsOptions,
  idempotencyKey: IdempotencyKey,
  plan: DnsPlan,
): Promise<Result<DnsApplied, DnsError>> {
  if (plan.blocked) return err({ code: "blocked", message: blockedMessage(plan) });
  if (plan.accountId !== options.accountId) {
    return err({
      code: "drift",
      message: `the plan was made for Cloudflare account ${plan.accountId}, but this deployment manages account ${options.accountId}`,
    });
  }
  const zoneId = plan.zone.id;
  // Ids the plan knows of, plus those this apply makes: a record with any other id appeared since the plan.
  const known = new Set(
    plan.changes.flatMap((c) => [c.before?.id, c.after?.id]).filter((id): id is string => Boolean(id)),
  );
  const applied: DnsApplied["applied"] = [];
  const results = new Map<number, DnsResource | null>();
  try {
    for (const [index, change] of plan.changes.entries()) {
      if (change.action === "noop") continue;
      const journalKey = subKey(idempotencyKey, index);
      const recalled = parseJournalEntry(await options.journal.recall(journalKey));
      let result: DnsResource | null;
      let replayed: boolean;
      if (recalled && recalled.key === change.key && recalled.action === change.action) {
        result = recalled.result;
        replayed = true;
      } else {
        const current = await readNow(api, zoneId, change, known);
        if (sameResource(current, change.after)) {
          result = current;
          replayed = true;
        } else if (sameResource(current, change.before)) {
          result = await send(api, zoneId, change, current, journalKey);
          replayed = false;
        } else {
          return err({
            code: "drift",
            message:
              `${change.key} changed since the plan was approved (read at ${new Date(plan.readAt).toISOString()}): ` +
              `expected ${describeResource(change.before)}, found ${describeResource(current)}; ` +
              `changes already in place before it: ${applied.map((a) => a.key).join(", ") || "none"}`,
          });
        }
        await options.journal.remember(journalKey, { key: change.key, action: change.action, result });
      }
      if (result?.id) known.add(result.id);
      results.set(index, result);
      applied.push({ key: change.key, action: change.action, result, replayed });
    }
    const failed = await verify(api, zoneId, plan, results);
    if (failed) return err({ code: "verify_failed", message: failed });
  } catch (error) {
    if (error instanceof CloudflareRefused) {
      return err({
        code: "apply_failed",
        message: `${error.message}; changes already in place before it: ${applied.map((a) => a.key).join(", ") || "none"}`,
      });
    }
    throw error;
  }
  const inverse = invertChanges(
    plan.changes.flatMap((change, index) =>
      results.has(index) ? [{ change, result: results.get(index) ?? null }] : [],
    ),
  );
  return ok({ applied, inverse });
}

/** Reads every planned resource again; a message for the first one that is not as planned, else null. */
async function verify(
  api: CloudflareDnsApi,
  zoneId: string,
  plan: DnsPlan,
  results: Map<number, DnsResource | null>,
): Promise<string | null> {
  for (const [index, change] of plan.changes.entries()) {
    const expected = results.has(index) ? (results.get(index) ?? null) : change.after;
    // A no-op delete of something absent names no resource to look at.
    if (change.action === "noop" && !change.after) continue;
    const probe: DnsChange = {
      ...change,
      before: change.action === "delete" ? change.before : expected,
      after: expected,
    };
    const found = await readNow(api, zoneId, probe, new Set());
    if (!sameResource(found, expected)) {
      return `after applying, ${change.key} is ${describeResource(found)}; the plan made it ${describeResource(expected)}`;
    }
  }
  return null;
}
