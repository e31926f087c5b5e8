/**
 * Workers Custom Domains (the SDK's account-level `workers/domains` and
 * wrangler's script-scoped `domains/changeset` + `domains/records`) and
 * Workers routes (zone-level and wrangler's script-level PUT). A custom
 * domain also makes the emulator serve that hostname with the Worker.
 */
import { z } from "zod";
import { callerAccount, type Handler, json, jsonBody, param, type Services } from "../context.ts";
import { requireScript } from "../deploy.ts";
import { CfApiError, CfCode, ok } from "../envelope.ts";
import { hexId } from "../ids.ts";
import type { AccountRecord, CustomDomainRecord, WorkerRouteRecord } from "../state.ts";
import { requireZone, zoneForHostname } from "./zones.ts";

function domainResult(d: CustomDomainRecord) {
  return {
    id: d.id,
    hostname: d.hostname,
    service: d.service,
    environment: d.environment,
    zone_id: d.zoneId,
    zone_name: d.zoneName,
    cert_id: d.certId,
  };
}

const accountDomains = (svc: Services, account: AccountRecord) =>
  Object.values(svc.store.state.customDomains).filter((d) => d.accountId === account.id);

/** Attaches `hostname` to `service`, replacing whichever Worker had it. */
function attach(
  svc: Services,
  account: AccountRecord,
  input: {
    hostname: string;
    service: string;
    environment?: string | undefined;
    zone_id?: string | undefined;
    zone_name?: string | undefined;
  },
): CustomDomainRecord {
  requireScript(svc, account.id, input.service);
  const hostname = input.hostname.toLowerCase();
  const zone = input.zone_id
    ? requireZone(svc, account, input.zone_id)
    : zoneForHostname(svc, account, input.zone_name ?? hostname);
  if (!zone || !(hostname === zone.name || hostname.endsWith(`.${zone.name}`))) {
    throw new CfApiError(400, 100116, `Hostname ${hostname} is not in a zone on this account`);
  }
  const existing = Object.values(svc.store.state.customDomains).find((d) => d.hostname === hostname);
  if (existing && existing.accountId !== account.id)
    throw new CfApiError(409, 100117, `Hostname ${hostname} is attached elsewhere`);
  const record: CustomDomainRecord = {
    id: existing?.id ?? hexId(),
    accountId: account.id,
    hostname,
    service: input.service,
    environment: input.environment ?? "production",
    zoneId: zone.id,
    zoneName: zone.name,
    certId: existing?.certId ?? hexId(),
  };
  svc.store.state.customDomains[record.id] = record;
  svc.store.save();
  return record;
}

const DomainBody = z.looseObject({
  hostname: z.string().min(1),
  service: z.string().min(1),
  environment: z.string().optional(),
  zone_id: z.string().optional(),
  zone_name: z.string().optional(),
});

export const putDomain: Handler = (ctx, svc) =>
  json(ok(domainResult(attach(svc, callerAccount(ctx), jsonBody(ctx, DomainBody)))));

export const listDomains: Handler = (ctx, svc) => {
  const q = ctx.query;
  const filters: [string, keyof CustomDomainRecord][] = [
    ["hostname", "hostname"],
    ["service", "service"],
    ["zone_id", "zoneId"],
    ["zone_name", "zoneName"],
    ["environment", "environment"],
  ];
  // Hostnames and zone names compare without case, as DNS names do.
  const items = accountDomains(svc, callerAccount(ctx)).filter((d) =>
    filters.every(([key, field]) => {
      const want = q.get(key);
      if (!want) return true;
      return key === "hostname" || key === "zone_name" ? d[field] === want.toLowerCase() : d[field] === want;
    }),
  );
  return json(ok(items.map(domainResult)));
};

function requireDomain(svc: Services, account: AccountRecord, id: string): CustomDomainRecord {
  const domain = svc.store.state.customDomains[id];
  if (!domain || domain.accountId !== account.id)
    throw new CfApiError(404, CfCode.customDomainNotFound, "Domain not found");
  return domain;
}

export const getDomain: Handler = (ctx, svc) =>
  json(ok(domainResult(requireDomain(svc, callerAccount(ctx), param(ctx, "domain")))));

export const deleteDomain: Handler = (ctx, svc) => {
  const domain = requireDomain(svc, callerAccount(ctx), param(ctx, "domain"));
  delete svc.store.state.customDomains[domain.id];
  svc.store.save();
  return json(ok(null));
};

const Origins = z.array(
  z.looseObject({
    hostname: z.string().min(1),
    zone_id: z.string().optional(),
    zone_name: z.string().optional(),
  }),
);

/** POST …/scripts/:script/domains/changeset: what a records PUT would change (no change made). */
export const domainsChangeset: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const script = param(ctx, "script");
  const origins = jsonBody(ctx, Origins);
  const mine = accountDomains(svc, account).filter((d) => d.service === script);
  const all = Object.values(svc.store.state.customDomains);
  const wanted = new Set(origins.map((o) => o.hostname.toLowerCase()));
  const added = origins.filter((o) => !all.some((d) => d.hostname === o.hostname.toLowerCase()));
  const updated = all
    .filter((d) => wanted.has(d.hostname) && d.accountId === account.id && d.service !== script)
    .map((d) => ({ ...domainResult(d), modified: true }));
  const removed =
    ctx.query.get("replace_state") === "true"
      ? mine.filter((d) => !wanted.has(d.hostname)).map(domainResult)
      : [];
  const conflicting = Object.values(svc.store.state.dnsRecords)
    .filter((r) => wanted.has(r.name))
    .map((r) => ({ hostname: r.name }));
  return json(ok({ added, removed, updated, conflicting }));
};

const RecordsBody = z.looseObject({ override_scope: z.boolean().optional(), origins: Origins });

/** PUT …/scripts/:script/domains/records: make the script's custom domains exactly `origins` (with override_scope). */
export const putDomainRecords: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const script = param(ctx, "script");
  const body = jsonBody(ctx, RecordsBody);
  const wanted = new Set(body.origins.map((o) => o.hostname.toLowerCase()));
  if (body.override_scope) {
    for (const d of accountDomains(svc, account)) {
      if (d.service === script && !wanted.has(d.hostname)) delete svc.store.state.customDomains[d.id];
    }
  }
  const attached = body.origins.map((o) => attach(svc, account, { ...o, service: script }));
  svc.store.save();
  return json(ok(attached.map(domainResult)));
};

function routeResult(r: WorkerRouteRecord) {
  return { id: r.id, pattern: r.pattern, script: r.script ?? undefined, zone_id: r.zoneId };
}

const RouteBody = z.looseObject({ pattern: z.string().min(1), script: z.string().optional() });

export const listZoneRoutes: Handler = (ctx, svc) => {
  const zone = requireZone(svc, callerAccount(ctx), param(ctx, "zone"));
  return json(
    ok(
      Object.values(svc.store.state.routes)
        .filter((r) => r.zoneId === zone.id)
        .map(routeResult),
    ),
  );
};

export const createZoneRoute: Handler = (ctx, svc) => {
  const zone = requireZone(svc, callerAccount(ctx), param(ctx, "zone"));
  const body = jsonBody(ctx, RouteBody);
  if (Object.values(svc.store.state.routes).some((r) => r.zoneId === zone.id && r.pattern === body.pattern)) {
    throw new CfApiError(409, 10020, `A route with the same pattern already exists: ${body.pattern}`);
  }
  const route: WorkerRouteRecord = {
    id: hexId(),
    zoneId: zone.id,
    pattern: body.pattern,
    script: body.script ?? null,
  };
  svc.store.state.routes[route.id] = route;
  svc.store.save();
  return json(ok(routeResult(route)));
};

function requireRoute(svc: Services, zoneId: string, id: string): WorkerRouteRecord {
  const route = svc.store.state.routes[id];
  if (!route || route.zoneId !== zoneId)
    throw new CfApiError(404, CfCode.routeRecordNotFound, "Route not found");
  return route;
}

export const getZoneRoute: Handler = (ctx, svc) => {
  const zone = requireZone(svc, callerAccount(ctx), param(ctx, "zone"));
  return json(ok(routeResult(requireRoute(svc, zone.id, param(ctx, "route")))));
};

export const putZoneRoute: Handler = (ctx, svc) => {
  const zone = requireZone(svc, callerAccount(ctx), param(ctx, "zone"));
  const route = requireRoute(svc, zone.id, param(ctx, "route"));
  const body = jsonBody(ctx, RouteBody);
  route.pattern = body.pattern;
  route.script = body.script ?? null;
  svc.store.save();
  return json(ok(routeResult(route)));
};

export const deleteZoneRoute: Handler = (ctx, svc) => {
  const zone = requireZone(svc, callerAccount(ctx), param(ctx, "zone"));
  const route = requireRoute(svc, zone.id, param(ctx, "route"));
  delete svc.store.state.routes[route.id];
  svc.store.save();
  return json(ok({ id: route.id }));
};

/** PUT …/scripts/:script/routes: replaces the script's whole set of routes. */
export const putScriptRoutes: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const script = param(ctx, "script");
  const body = jsonBody(
    ctx,
    z.array(z.looseObject({ pattern: z.string().min(1), zone_id: z.string().optional() })),
  );
  const zoneIds = new Set<string>();
  const planned = body.map((r) => {
    const host = r.pattern.replace(/^\*?\.?/, "").split("/")[0] ?? "";
    const zone = r.zone_id ? requireZone(svc, account, r.zone_id) : zoneForHostname(svc, account, host);
    if (!zone)
      throw new CfApiError(400, CfCode.zoneNotFound, `No zone on this account matches route ${r.pattern}`);
    zoneIds.add(zone.id);
    return { pattern: r.pattern, zoneId: zone.id };
  });
  for (const [id, r] of Object.entries(svc.store.state.routes))
    if (r.script === script) delete svc.store.state.routes[id];
  const created = planned.map((p) => {
    const route: WorkerRouteRecord = { id: hexId(), zoneId: p.zoneId, pattern: p.pattern, script };
    svc.store.state.routes[route.id] = route;
    return route;
  });
  svc.store.save();
  return json(ok(created.map(routeResult)));
};

export const getScriptRoutes: Handler = (ctx, svc) => {
  callerAccount(ctx);
  const script = param(ctx, "script");
  return json(
    ok(
      Object.values(svc.store.state.routes)
        .filter((r) => r.script === script)
        .map(routeResult),
    ),
  );
};
