/**
 * The calls the DNS adapter makes, through the official `cloudflare` SDK, in
 * the shapes of `src/dns/` (zone lookup; DNS records, Workers custom domains
 * and routes: read, create, change, delete). A refusal (4xx other than 429)
 * becomes a `CloudflareRefused` carrying Cloudflare's own message and code;
 * connection failures, 429 and 5xx are thrown as they are: they are
 * transient, and the Workflow step retries the whole apply, which is safe
 * (see cloudflare.ts). Runs in the Worker: no Node-only APIs.
 */
import { APIConnectionError, APIError, NotFoundError } from "cloudflare";
import { type CloudflareAccount, cloudflareClient, writeOnce } from "../cloudflare/api-client.ts";
import type { CustomDomainResource, DnsRecordResource, WorkerRouteResource } from "../../dns/resources.ts";
import { normalizeHostname } from "../../dns/names.ts";

export class CloudflareRefused extends Error {
  override readonly name = "CloudflareRefused";
  constructor(
    /** What was being done, e.g. `create AAAA app.example.com`. */
    readonly what: string,
    readonly status: number,
    readonly code: number | null,
    readonly cfMessage: string,
  ) {
    super(
      `Cloudflare refused to ${what}: ${cfMessage} (${code === null ? "" : `code ${code}, `}HTTP ${status})`,
    );
  }
}

/** The first of Cloudflare's `errors` (or the SDK's own message), without anything from the request. */
function cloudflareMessage(error: APIError): { code: number | null; message: string } {
  const first = (error.errors as Array<{ code?: unknown; message?: unknown }> | undefined)?.[0];
  if (first && typeof first.message === "string")
    return { code: typeof first.code === "number" ? first.code : null, message: first.message };
  return { code: null, message: error.message };
}

/** Runs one SDK call; a refusal becomes `CloudflareRefused`, anything transient is rethrown. */
async function guard<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof APIError && !(error instanceof APIConnectionError)) {
      const status = error.status ?? 0;
      if (status >= 400 && status < 500 && status !== 429) {
        const { code, message } = cloudflareMessage(error);
        throw new CloudflareRefused(what, status, code, message);
      }
    }
    throw error;
  }
}

/** A GET by id: 404 means the resource is not there. */
async function orNull<T>(what: string, call: () => Promise<T>): Promise<T | null> {
  try {
    return await guard(what, call);
  } catch (error) {
    if (error instanceof CloudflareRefused && error.status === 404) return null;
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

interface Page<T> {
  getPaginatedItems(): T[];
  hasNextPage(): boolean;
  getNextPage(): Promise<Page<T>>;
}

/** Every item of a paged list, stopping at the last page `result_info` names (no extra empty-page call). */
async function collect<T>(first: PromiseLike<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let page = await first;
  for (;;) {
    items.push(...page.getPaginatedItems());
    const info = (page as { result_info?: { page?: number; total_pages?: number } }).result_info;
    const last = info?.page !== undefined && info.total_pages !== undefined && info.page >= info.total_pages;
    if (last || !page.hasNextPage()) return items;
    page = await page.getNextPage();
  }
}

interface SdkRecord {
  id: string;
  type: string;
  name: string;
  content?: unknown;
  proxied?: boolean;
  ttl?: number;
}

function toRecord(r: SdkRecord): DnsRecordResource {
  return {
    kind: "record",
    id: r.id,
    type: r.type.toUpperCase(),
    name: normalizeHostname(r.name),
    content: typeof r.content === "string" ? r.content : JSON.stringify(r.content ?? ""),
    proxied: r.proxied ?? false,
    ttl: r.ttl ?? 1,
  };
}

function toDomain(d: { id: string; hostname: string; service: string }): CustomDomainResource {
  return { kind: "custom-domain", id: d.id, hostname: normalizeHostname(d.hostname), service: d.service };
}

function toRoute(r: { id: string; pattern: string; script?: string | null }): WorkerRouteResource {
  return { kind: "route", id: r.id, pattern: r.pattern, script: r.script ?? "" };
}

export interface CloudflareDnsApi {
  findZone(name: string): Promise<{ id: string; name: string } | null>;
  listRecords(zoneId: string, name: string): Promise<DnsRecordResource[]>;
  getRecord(zoneId: string, id: string): Promise<DnsRecordResource | null>;
  createRecord(zoneId: string, record: DnsRecordResource, idempotencyKey: string): Promise<DnsRecordResource>;
  updateRecord(
    zoneId: string,
    id: string,
    record: DnsRecordResource,
    idempotencyKey: string,
  ): Promise<DnsRecordResource>;
  deleteRecord(zoneId: string, record: DnsRecordResource, idempotencyKey: string): Promise<void>;
  findCustomDomain(hostname: string): Promise<CustomDomainResource | null>;
  putCustomDomain(
    zoneId: string,
    domain: CustomDomainResource,
    idempotencyKey: string,
  ): Promise<CustomDomainResource>;
  deleteCustomDomain(domain: CustomDomainResource, idempotencyKey: string): Promise<void>;
  listRoutes(zoneId: string): Promise<WorkerRouteResource[]>;
  getRoute(zoneId: string, id: string): Promise<WorkerRouteResource | null>;
  createRoute(
    zoneId: string,
    route: WorkerRouteResource,
    idempotencyKey: string,
  ): Promise<WorkerRouteResource>;
  updateRoute(
    zoneId: string,
    id: string,
    route: WorkerRouteResource,
    idempotencyKey: string,
  ): Promise<WorkerRouteResource>;
  deleteRoute(zoneId: string, route: WorkerRouteResource, idempotencyKey: string): Promise<void>;
}

export type { CloudflareAccount };

/** The zone's records, custom domains and routes, through the one client (reads retried, writes sent once). */
export function cloudflareDnsApi(account: CloudflareAccount): CloudflareDnsApi {
  const client = cloudflareClient(account);
  const accountId = account.accountId;
  const recordBody = (r: DnsRecordResource) => ({
    type: r.type,
    name: r.name,
    content: r.content,
    proxied: r.proxied,
    ttl: r.ttl,
  });
  // The SDK types record bodies as a union per record type; ours carry the fields every type shares.
  type RecordParams = Parameters<typeof client.dns.records.create>[0];
  type RecordUpdateParams = Parameters<typeof client.dns.records.update>[1];

  return {
    async findZone(name) {
      const zones = await guard(`look up zone ${name} in account ${accountId}`, () =>
        collect(client.zones.list({ name, account: { id: accountId } })),
      );
      const zone = zones.find((z) => normalizeHostname(z.name) === normalizeHostname(name));
      return zone ? { id: zone.id, name: normalizeHostname(zone.name) } : null;
    },

    async listRecords(zoneId, name) {
      const records = await guard(`list DNS records named ${name}`, () =>
        collect(client.dns.records.list({ zone_id: zoneId, name: { exact: name } })),
      );
      return records.map((r) => toRecord(r as SdkRecord));
    },

    async getRecord(zoneId, id) {
      const r = await orNull(`read DNS record ${id}`, () => client.dns.records.get(id, { zone_id: zoneId }));
      return r ? toRecord(r as SdkRecord) : null;
    },

    async createRecord(zoneId, record, key) {
      const what = `create ${record.type} ${record.name}`;
      const params = { zone_id: zoneId, ...recordBody(record) } as RecordParams;
      return toRecord(
        (await guard(what, () => client.dns.records.create(params, writeOnce(key)))) as SdkRecord,
      );
    },

    async updateRecord(zoneId, id, record, key) {
      const what = `update ${record.type} ${record.name} (${id})`;
      const params = { zone_id: zoneId, ...recordBody(record) } as RecordUpdateParams;
      return toRecord(
        (await guard(what, () => client.dns.records.update(id, params, writeOnce(key)))) as SdkRecord,
      );
    },

    async deleteRecord(zoneId, record, key) {
      await guard(`delete ${record.type} ${record.name} (${record.id})`, () =>
        client.dns.records.delete(record.id ?? "", { zone_id: zoneId }, writeOnce(key)),
      );
    },

    async findCustomDomain(hostname) {
      const host = normalizeHostname(hostname);
      const domains = await guard(`list custom domains for ${host}`, () =>
        collect(client.workers.domains.list({ account_id: accountId, hostname: host })),
      );
      const found = domains.find((d) => normalizeHostname(d.hostname) === host);
      return found ? toDomain(found) : null;
    },

    async putCustomDomain(zoneId, domain, key) {
      const what = `attach custom domain ${domain.hostname} to Worker ${domain.service}`;
      const attached = await guard(what, () =>
        client.workers.domains.update(
          { account_id: accountId, hostname: domain.hostname, service: domain.service, zone_id: zoneId },
          writeOnce(key),
        ),
      );
      return toDomain(attached);
    },

    async deleteCustomDomain(domain, key) {
      await guard(`detach custom domain ${domain.hostname} (${domain.id})`, () =>
        client.workers.domains.delete(domain.id ?? "", { account_id: accountId }, writeOnce(key)),
      );
    },

    async listRoutes(zoneId) {
      const routes = await guard(`list Workers routes of zone ${zoneId}`, () =>
        collect(client.workers.routes.list({ zone_id: zoneId })),
      );
      return routes.map(toRoute);
    },

    async getRoute(zoneId, id) {
      const r = await orNull(`read Workers route ${id}`, () =>
        client.workers.routes.get(id, { zone_id: zoneId }),
      );
      return r ? toRoute(r) : null;
    },

    async createRoute(zoneId, route, key) {
      const what = `create route ${route.pattern} → ${route.script}`;
      const made = await guard(what, () =>
        client.workers.routes.create(
          { zone_id: zoneId, pattern: route.pattern, script: route.script },
          writeOnce(key),
        ),
      );
      return toRoute(made);
    },

    async updateRoute(zoneId, id, route, key) {
      const what = `update route ${route.pattern} → ${route.script} (${id})`;
      const made = await guard(what, () =>
        client.workers.routes.update(
          id,
          { zone_id: zoneId, pattern: route.pattern, script: route.script },
          writeOnce(key),
        ),
      );
      return toRoute(made);
    },

    async deleteRoute(zoneId, route, key) {
      await guard(`delete route ${route.pattern} (${route.id})`, () =>
        client.workers.routes.delete(route.id ?? "", { zone_id: zoneId }, writeOnce(key)),
      );
    },
  };
}
