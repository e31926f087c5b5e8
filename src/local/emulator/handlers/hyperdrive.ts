/**
 * Hyperdrive configurations (`wrangler hyperdrive create|list|get|update|delete --temporary`):
 * kept per account like KV namespaces, at most as many as a temporary account may hold
 * (src/jobs/temporary-account-support.json). The origin's password is kept, as Cloudflare keeps
 * it, for the Worker's binding; no answer ever carries it. The emulator does not connect to the
 * origin when a configuration is made (Cloudflare does): a wrong address shows up when the
 * Worker connects.
 */
import { z } from "zod";
import { limitOf } from "../../../jobs/temporary-account-support.ts";
import { callerAccount, type Handler, json, jsonBody, param } from "../context.ts";
import { CfApiError, CfCode, ok, paginate } from "../envelope.ts";
import { hexId } from "../ids.ts";
import type { HyperdriveConfigRecord } from "../state.ts";

/** Hyperdrive's own codes for an unknown configuration and a full account. */
const HYPERDRIVE_NOT_FOUND = 2001;
const HYPERDRIVE_QUOTA = 2016;

const Origin = z.object({
  scheme: z.enum(["postgres", "postgresql", "mysql"]).default("postgresql"),
  host: z.string().min(1),
  port: z.number().int().positive().optional(),
  database: z.string().min(1),
  user: z.string().min(1),
  password: z.string(),
});

const CreateBody = z.looseObject({
  name: z.string().min(1),
  origin: Origin,
  caching: z.looseObject({}).optional(),
  origin_connection_limit: z.number().int().positive().optional(),
});

const UpdateBody = z.looseObject({
  name: z.string().min(1).optional(),
  origin: Origin.partial().optional(),
  caching: z.looseObject({}).optional(),
  origin_connection_limit: z.number().int().positive().optional(),
});

/** What the API shows of a configuration: everything but the password. */
function view(config: HyperdriveConfigRecord): Record<string, unknown> {
  const { password: _password, ...origin } = config.origin;
  return {
    id: config.id,
    name: config.name,
    origin,
    caching: config.caching,
    ...(config.originConnectionLimit !== undefined
      ? { origin_connection_limit: config.originConnectionLimit }
      : {}),
    created_on: config.createdOn,
    modified_on: config.modifiedOn,
  };
}

function checkConnectionLimit(limit: number | undefined): void {
  const most = limitOf("hyperdrive", "connections");
  if (limit !== undefined && limit > most) {
    throw new CfApiError(
      400,
      CfCode.invalidRequest,
      `origin_connection_limit ${limit} is over the ${most} connections a temporary account's Hyperdrive may open`,
    );
  }
}

function configOf(ctx: Parameters<Handler>[0], svc: Parameters<Handler>[1]): HyperdriveConfigRecord {
  const account = callerAccount(ctx);
  const config = svc.store.state.hyperdriveConfigs[param(ctx, "config")];
  if (!config || config.accountId !== account.id) {
    throw new CfApiError(404, HYPERDRIVE_NOT_FOUND, "Hyperdrive config not found");
  }
  return config;
}

export const listHyperdriveConfigs: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const all = Object.values(svc.store.state.hyperdriveConfigs)
    .filter((c) => c.accountId === account.id)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(view);
  const { page, info } = paginate(all, ctx.query);
  return json(ok(page, info));
};

export const createHyperdriveConfig: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const body = jsonBody(ctx, CreateBody);
  const mine = Object.values(svc.store.state.hyperdriveConfigs).filter((c) => c.accountId === account.id);
  if (mine.some((c) => c.name === body.name)) {
    throw new CfApiError(409, CfCode.invalidRequest, `A Hyperdrive config named ${body.name} already exists`);
  }
  const most = limitOf("hyperdrive", "configs");
  if (account.temporary && mine.length >= most) {
    throw new CfApiError(
      403,
      HYPERDRIVE_QUOTA,
      `A temporary account can have at most ${most} Hyperdrive configs; this one has ${mine.length}. Claim the account to create more.`,
    );
  }
  checkConnectionLimit(body.origin_connection_limit);
  const now = svc.now().toISOString();
  const config: HyperdriveConfigRecord = {
    id: hexId(),
    accountId: account.id,
    name: body.name,
    origin: { ...body.origin, port: body.origin.port ?? (body.origin.scheme === "mysql" ? 3306 : 5432) },
    caching: body.caching ?? { disabled: false },
    ...(body.origin_connection_limit !== undefined
      ? { originConnectionLimit: body.origin_connection_limit }
      : {}),
    createdOn: now,
    modifiedOn: now,
  };
  svc.store.state.hyperdriveConfigs[config.id] = config;
  svc.store.save();
  return json(ok(view(config)));
};

export const getHyperdriveConfig: Handler = (ctx, svc) => json(ok(view(configOf(ctx, svc))));

export const updateHyperdriveConfig: Handler = (ctx, svc) => {
  const config = configOf(ctx, svc);
  const body = jsonBody(ctx, UpdateBody);
  checkConnectionLimit(body.origin_connection_limit);
  if (body.name !== undefined) config.name = body.name;
  if (body.origin) config.origin = { ...config.origin, ...body.origin };
  if (body.caching) config.caching = { ...config.caching, ...body.caching };
  if (body.origin_connection_limit !== undefined) config.originConnectionLimit = body.origin_connection_limit;
  config.modifiedOn = svc.now().toISOString();
  svc.store.save();
  return json(ok(view(config)));
};

export const deleteHyperdriveConfig: Handler = (ctx, svc) => {
  const config = configOf(ctx, svc);
  delete svc.store.state.hyperdriveConfigs[config.id];
  svc.store.save();
  return json(ok(null));
};

/** The connection string a Worker's `hyperdrive` binding connects with, or null for an unknown id. */
export function hyperdriveConnectionString(config: HyperdriveConfigRecord | undefined): string | null {
  if (!config) return null;
  const { scheme, user, password, host, port, database } = config.origin;
  const enc = encodeURIComponent;
  return `${scheme}://${enc(user)}:${enc(password)}@${host}:${port}/${enc(database)}`;
}
