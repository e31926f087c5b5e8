/**
 * From what the job asks for (`DesiredDns`) and what the API holds now
 * (`CurrentDns`) to the exact list of changes, each resource before → after.
 * Pure: the adapter reads the zone and applies; this only compares.
 *
 * Order of the changes: the job's deletes first (a CNAME being replaced by
 * the Worker's hostname must go before the new record can exist), then the
 * Worker's hostname (its record and route, or its custom domain), then the
 * job's extra records. The inverse plan undoes them in the reverse order.
 */
import type { DesiredDns, DnsChange, DnsPlan, DnsResource } from "../ports/dns.ts";
import { normalizeHostname, recordName, routePattern } from "./names.ts";
import { checkPolicy } from "./policy.ts";
import {
  type CurrentDns,
  type CustomDomainResource,
  customDomainKey,
  type DnsRecordResource,
  recordKey,
  routeKey,
  sameResource,
  type WorkerRouteResource,
} from "./resources.ts";

/** A route-mode hostname points at this placeholder address; the route sends its traffic to the Worker. */
export const ROUTE_PLACEHOLDER = { type: "AAAA", content: "100::" } as const;

export interface RecordSpec {
  type: string;
  name: string;
  content: string;
  proxied: boolean;
  ttl: number;
}

/** `DesiredDns` with every name absolute and lower-case, types upper-case, proxied records at ttl 1 (auto). */
export function normalizeDesired(desired: DesiredDns): DesiredDns {
  const zone = normalizeHostname(desired.zone);
  return {
    ...desired,
    zone,
    requestedHostname: normalizeHostname(desired.requestedHostname),
    hostname: normalizeHostname(desired.hostname),
    records: desired.records.map((r) => ({
      type: r.type.toUpperCase(),
      name: recordName(r.name, zone),
      content: r.content,
      proxied: r.proxied,
      // Cloudflare keeps proxied records at automatic TTL; asking for another would never settle.
      ttl: r.proxied ? 1 : r.ttl,
    })),
    deletes: desired.deletes.map((d) => ({ type: d.type.toUpperCase(), name: recordName(d.name, zone) })),
    allow: { ...desired.allow, hostnames: desired.allow.hostnames.map(normalizeHostname) },
  };
}

/** The record that points a route-mode hostname at Cloudflare (none in custom-domain mode: Cloudflare owns that one). */
export function hostnameRecord(desired: DesiredDns): RecordSpec | null {
  if (desired.mode !== "route") return null;
  return { ...ROUTE_PLACEHOLDER, name: normalizeHostname(desired.hostname), proxied: true, ttl: 1 };
}

/** The records a plan compares with: the Worker's hostname in route mode, then the job's extra records. */
export function wantedRecords(desired: DesiredDns): RecordSpec[] {
  const d = normalizeDesired(desired);
  const host = hostnameRecord(d);
  return [...(host ? [host] : []), ...d.records];
}

/** Every record name the adapter must read before planning (deduplicated). */
export function recordNamesToRead(desired: DesiredDns): string[] {
  const d = normalizeDesired(desired);
  return [...new Set([...wantedRecords(d).map((r) => r.name), ...d.deletes.map((x) => x.name)])];
}

const sameTypeAndName = (r: DnsRecordResource, type: string, name: string) =>
  r.type.toUpperCase() === type && normalizeHostname(r.name) === name;

function deleteChanges(desired: DesiredDns, pool: DnsRecordResource[]): DnsChange[] {
  return desired.deletes.flatMap(({ type, name }): DnsChange[] => {
    const found = pool.filter((r) => sameTypeAndName(r, type, name));
    if (found.length === 0)
      return [{ action: "noop", key: recordKey(type, name), before: null, after: null }];
    return found.map((r) => ({ action: "delete", key: recordKey(type, name), before: r, after: null }));
  });
}

/**
 * Records are matched by type and name. Where a job lists several records of
 * one type and name, an existing record with the same content is kept as it
 * is, the rest are updated in the order they come, and any left over are created.
 */
function recordChanges(wanted: RecordSpec[], pool: DnsRecordResource[]): DnsChange[] {
  const taken = new Set<DnsRecordResource>();
  const asResource = (spec: RecordSpec, id: string | null): DnsRecordResource => ({
    kind: "record",
    id,
    ...spec,
  });
  const exact = wanted.map((spec) => {
    const match = pool.find((r) => !taken.has(r) && sameResource(r, asResource(spec, null)));
    if (match) taken.add(match);
    return match;
  });
  return wanted.map((spec, i): DnsChange => {
    const key = recordKey(spec.type, spec.name);
    const same = exact[i];
    if (same) return { action: "noop", key, before: same, after: same };
    const other = pool.find((r) => !taken.has(r) && sameTypeAndName(r, spec.type, spec.name));
    if (other) {
      taken.add(other);
      return { action: "update", key, before: other, after: asResource(spec, other.id) };
    }
    return { action: "create", key, before: null, after: asResource(spec, null) };
  });
}

function upsert<T extends DnsResource>(key: string, existing: T | undefined, wanted: T): DnsChange {
  if (!existing) return { action: "create", key, before: null, after: { ...wanted, id: null } };
  const after = { ...wanted, id: existing.id };
  return sameResource(existing, after)
    ? { action: "noop", key, before: existing, after: existing }
    : { action: "update", key, before: existing, after };
}

function hostnameChanges(
  desired: DesiredDns,
  current: CurrentDns,
  recordPool: DnsRecordResource[],
): DnsChange[] {
  const { hostname, workerName } = desired;
  if (desired.mode === "custom-domain") {
    const existing = current.customDomains.find((d) => normalizeHostname(d.hostname) === hostname);
    const wanted: CustomDomainResource = { kind: "custom-domain", id: null, hostname, service: workerName };
    return [upsert(customDomainKey(hostname), existing, wanted)];
  }
  const pattern = routePattern(hostname);
  const existing = current.routes.find((r) => r.pattern.toLowerCase() === pattern);
  const wanted: WorkerRouteResource = { kind: "route", id: null, pattern, script: workerName };
  const hostRecord = hostnameRecord(desired);
  return [
    ...recordChanges(hostRecord ? [hostRecord] : [], recordPool),
    upsert(routeKey(pattern), existing, wanted),
  ];
}

/** A key names one resource: a second change with the same key (several records of one type and name) gets `#2`, … */
function withUniqueKeys(changes: DnsChange[]): DnsChange[] {
  const seen = new Map<string, number>();
  return changes.map((change) => {
    const n = (seen.get(change.key) ?? 0) + 1;
    seen.set(change.key, n);
    return n === 1 ? change : { ...change, key: `${change.key}#${n}` };
  });
}

/** The changes that make the zone hold what `desired` asks for, in the order to apply them. */
export function planChanges(desired: DesiredDns, current: CurrentDns): DnsChange[] {
  const d = normalizeDesired(desired);
  const deletes = deleteChanges(d, current.records);
  const deleted = new Set(deletes.map((c) => c.before));
  // A record the job deletes is not also updated into something else: it is deleted and, if wanted, created anew.
  const pool = current.records.filter((r) => !deleted.has(r));
  const host = hostnameChanges(d, current, pool);
  const hostRecords = new Set(host.flatMap((c) => (c.before?.kind === "record" ? [c.before] : [])));
  const extras = recordChanges(
    d.records,
    pool.filter((r) => !hostRecords.has(r)),
  );
  return withUniqueKeys([...deletes, ...host, ...extras]);
}

export interface PlanInput {
  desired: DesiredDns;
  zone: { id: string; name: string };
  accountId: string;
  current: CurrentDns;
  /** When the zone was read (ms since epoch). */
  readAt: number;
}

/** The whole plan: changes, policy findings and whether they block it. */
export function buildPlan(input: PlanInput): DnsPlan {
  const desired = normalizeDesired(input.desired);
  const changes = planChanges(desired, input.current);
  const findings = checkPolicy(desired, changes);
  return {
    zone: input.zone,
    accountId: input.accountId,
    requestedHostname: desired.requestedHostname,
    hostname: desired.hostname,
    mode: desired.mode,
    workerName: desired.workerName,
    changes,
    findings,
    blocked: findings.some((f) => f.blocking),
    readAt: input.readAt,
  };
}
