/**
 * Zones and their DNS records (`/zones`, `/zones/:zone/dns_records`). Zones
 * are seeded through the admin API or `POST /zones`; a zone seeded without an
 * account is visible to every account, so tests can seed before a temporary
 * account exists.
 */
import { z } from "zod";
import { callerAccount, type Handler, json, jsonBody, param, type Services } from "../context.ts";
import {
  conflict,
  filterRecords,
  inZone,
  isProxiable,
  normalizeName,
  recordResult,
  sortRecords,
} from "../dns-records.ts";
import { CfApiError, CfCode, ok, paginate } from "../envelope.ts";
import { hexId } from "../ids.ts";
import type { AccountRecord, DnsRecordRecord, ZoneRecord } from "../state.ts";

export function zoneResult(zone: ZoneRecord) {
  return {
    id: zone.id,
    name: zone.name,
    status: "active",
    paused: false,
    type: "full",
    account: { id: zone.accountId ?? "", name: "" },
    name_servers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
    created_on: zone.createdOn,
    modified_on: zone.createdOn,
  };
}

const visible = (zone: ZoneRecord, account: AccountRecord) =>
  zone.accountId === null || zone.accountId === account.id;

export function requireZone(svc: Services, account: AccountRecord, zoneId: string): ZoneRecord {
  const zone = svc.store.state.zones[zoneId];
  if (!zone || !visible(zone, account))
    throw new CfApiError(404, CfCode.zoneNotFound, `Could not find zone ${zoneId}`);
  return zone;
}

/** The most specific zone visible to `account` that contains `hostname`. */
export function zoneForHostname(
  svc: Services,
  account: AccountRecord,
  hostname: string,
): ZoneRecord | undefined {
  return Object.values(svc.store.state.zones)
    .filter((zone) => visible(zone, account) && inZone(hostname.toLowerCase(), zone.name))
    .sort((a, b) => b.name.length - a.name.length)[0];
}

/** Creates (or returns the existing) zone; used by the admin API and `POST /zones`. */
export function seedZone(svc: Services, name: string, accountId: string | null): ZoneRecord {
  const normalized = name.toLowerCase().replace(/\.$/, "");
  const existing = Object.values(svc.store.state.zones).find((z) => z.name === normalized);
  if (existing) return existing;
  const zone: ZoneRecord = { id: hexId(), name: normalized, accountId, createdOn: svc.now().toISOString() };
  svc.store.state.zones[zone.id] = zone;
  svc.store.save();
  return zone;
}

export const listZones: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const name = ctx.query.get("name")?.toLowerCase();
  const accountId = ctx.query.get("account.id");
  const zones = Object.values(svc.store.state.zones).filter(
    (zone) =>
      visible(zone, account) &&
      (!name || zone.name === name) &&
      (!accountId || zone.accountId === null || zone.accountId === accountId),
  );
  const { page, info } = paginate(zones.map(zoneResult), ctx.query);
  return json(ok(page, info));
};

export const getZone: Handler = (ctx, svc) =>
  json(ok(zoneResult(requireZone(svc, callerAccount(ctx), param(ctx, "zone")))));

export const createZone: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const body = jsonBody(
    ctx,
    z.looseObject({ name: z.string().min(1), account: z.object({ id: z.string() }).optional() }),
  );
  return json(ok(zoneResult(seedZone(svc, body.name, body.account?.id ?? account.id))));
};

const RecordBody = z.looseObject({
  type: z.string().min(1),
  name: z.string().min(1),
  content: z.string(),
  ttl: z.number().int().default(1),
  proxied: z.boolean().optional(),
  priority: z.number().int().optional(),
  comment: z.string().nullable().optional(),
  tags: z.array(z.string()).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});
type RecordInput = z.infer<typeof RecordBody>;

function zoneRecords(svc: Services, zoneId: string): DnsRecordRecord[] {
  return Object.values(svc.store.state.dnsRecords).filter((r) => r.zoneId === zoneId);
}

function requireRecord(svc: Services, zone: ZoneRecord, id: string): DnsRecordRecord {
  const record = svc.store.state.dnsRecords[id];
  if (!record || record.zoneId !== zone.id)
    throw new CfApiError(404, CfCode.dnsRecordNotFound, "Record does not exist.");
  return record;
}

/** Builds the stored record from a full body (create, PUT) or the old record plus a partial body (PATCH). */
function buildRecord(
  svc: Services,
  zone: ZoneRecord,
  input: RecordInput,
  base: DnsRecordRecord | null,
): DnsRecordRecord {
  const name = normalizeName(input.name, zone.name);
  const type = input.type.toUpperCase();
  if (!inZone(name, zone.name))
    throw new CfApiError(400, 9005, `Record name ${name} is not in zone ${zone.name}`);
  const proxied = input.proxied ?? false;
  if (proxied && !isProxiable(type))
    throw new CfApiError(400, 9004, `Records of type ${type} cannot be proxied`);
  const now = svc.now().toISOString();
  const record: DnsRecordRecord = {
    id: base?.id ?? hexId(),
    zoneId: zone.id,
    zoneName: zone.name,
    type,
    name,
    content: input.content,
    ttl: input.ttl,
    proxied,
    proxiable: isProxiable(type),
    ...(input.priority !== undefined ? { priority: input.priority } : {}),
    comment: input.comment ?? null,
    tags: input.tags ?? [],
    settings: input.settings ?? {},
    createdOn: base?.createdOn ?? now,
    modifiedOn: now,
  };
  const clash = conflict(record, zoneRecords(svc, zone.id));
  if (clash) throw new CfApiError(400, clash.code, clash.message);
  return record;
}

function save(svc: Services, record: DnsRecordRecord) {
  svc.store.state.dnsRecords[record.id] = record;
  svc.store.save();
  return json(ok(recordResult(record)));
}

export const createDnsRecord: Handler = (ctx, svc) => {
  const zone = requireZone(svc, callerAccount(ctx), param(ctx, "zone"));
  return save(svc, buildRecord(svc, zone, jsonBody(ctx, RecordBody), null));
};

export const listDnsRecords: Handler = (ctx, svc) => {
  const zone = requireZone(svc, callerAccount(ctx), param(ctx, "zone"));
  const records = sortRecords(filterRecords(zoneRecords(svc, zone.id), ctx.query), ctx.query);
  const { page, info } = paginate(records.map(recordResult), ctx.query, 100);
  return json(ok(page, info));
};

export const getDnsRecord: Handler = (ctx, svc) => {
  const zone = requireZone(svc, callerAccount(ctx), param(ctx, "zone"));
  return json(ok(recordResult(requireRecord(svc, zone, param(ctx, "record")))));
};

export const putDnsRecord: Handler = (ctx, svc) => {
  const zone = requireZone(svc, callerAccount(ctx), param(ctx, "zone"));
  const old = requireRecord(svc, zone, param(ctx, "record"));
  return save(svc, buildRecord(svc, zone, jsonBody(ctx, RecordBody), old));
};

export const patchDnsRecord: Handler = (ctx, svc) => {
  const zone = requireZone(svc, callerAccount(ctx), param(ctx, "zone"));
  const old = requireRecord(svc, zone, param(ctx, "record"));
  const patch = jsonBody(ctx, RecordBody.partial());
  const merged: RecordInput = {
    type: patch.type ?? old.type,
    name: patch.name ?? old.name,
    content: patch.content ?? old.content,
    ttl: patch.ttl ?? old.ttl,
    proxied: patch.proxied ?? old.proxied,
    ...((patch.priority ?? old.priority) !== undefined ? { priority: patch.priority ?? old.priority } : {}),
    comment: patch.comment === undefined ? old.comment : patch.comment,
    tags: patch.tags ?? old.tags,
    settings: patch.settings ?? old.settings,
  };
  return save(svc, buildRecord(svc, zone, merged, old));
};

export const deleteDnsRecord: Handler = (ctx, svc) => {
  const zone = requireZone(svc, callerAccount(ctx), param(ctx, "zone"));
  const record = requireRecord(svc, zone, param(ctx, "record"));
  delete svc.store.state.dnsRecords[record.id];
  svc.store.save();
  return json(ok({ id: record.id }));
};
