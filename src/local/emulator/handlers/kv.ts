/**
 * KV: namespaces (listing and creation, which wrangler also calls when a KV
 * binding has no id: auto-provisioning; get, rename, delete) and the key
 * commands (`wrangler kv key|bulk … --remote`), which read and write the data
 * a Worker's binding sees, through kv-runner.ts.
 */
import { join } from "node:path";
import { z } from "zod";
import {
  callerAccount,
  type Handler,
  json,
  jsonBody,
  param,
  type RequestContext,
  type Services,
} from "../context.ts";
import { CfApiError, CfCode, ok, paginate } from "../envelope.ts";
import { dataDir } from "../files.ts";
import { hexId } from "../ids.ts";
import type { KvNamespaceRecord } from "../state.ts";
import { readFormData } from "../upload.ts";

export const listKvNamespaces: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const all = Object.values(svc.store.state.kvNamespaces)
    .filter((ns) => ns.accountId === account.id)
    .sort((a, b) => a.title.localeCompare(b.title))
    .map((ns) => ({ id: ns.id, title: ns.title, supports_url_encoding: true }));
  const { page, info } = paginate(all, ctx.query);
  return json(ok(page, info));
};

export const createKvNamespace: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const { title } = jsonBody(ctx, z.object({ title: z.string().min(1) }));
  const ns = { id: hexId(), accountId: account.id, title };
  svc.store.state.kvNamespaces[ns.id] = ns;
  svc.store.save();
  return json(ok({ id: ns.id, title, supports_url_encoding: true }));
};

/** KV's own codes for an unknown key (`get`) and a namespace that is not the caller's. */
const KV_KEY_NOT_FOUND = 10009;

const dataDirOf = (svc: Services, accountId: string) => join(svc.store.dir, dataDir(accountId));

function namespaceOf(ctx: RequestContext, svc: Services): KvNamespaceRecord {
  const account = callerAccount(ctx);
  const ns = svc.store.state.kvNamespaces[param(ctx, "namespace")];
  if (!ns || ns.accountId !== account.id) {
    throw new CfApiError(404, CfCode.kvNamespaceNotFound, "namespace not found");
  }
  return ns;
}

function withNamespace<T>(
  ctx: RequestContext,
  svc: Services,
  fn: (kv: KVNamespace) => Promise<T>,
): Promise<T> {
  const ns = namespaceOf(ctx, svc);
  return svc.kv.with(dataDirOf(svc, ns.accountId), ns.accountId, ns.id, fn);
}

/** `expiration` / `expiration_ttl` as KV's put takes them (query parameters or bulk fields). */
function expiryOf(expiration: unknown, ttl: unknown): KVNamespacePutOptions {
  const out: KVNamespacePutOptions = {};
  if (expiration !== undefined && expiration !== null && expiration !== "")
    out.expiration = Number(expiration);
  if (ttl !== undefined && ttl !== null && ttl !== "") out.expirationTtl = Number(ttl);
  return out;
}

export const getKvNamespace: Handler = (ctx, svc) => {
  const ns = namespaceOf(ctx, svc);
  return json(ok({ id: ns.id, title: ns.title, supports_url_encoding: true }));
};

export const renameKvNamespace: Handler = (ctx, svc) => {
  const ns = namespaceOf(ctx, svc);
  ns.title = jsonBody(ctx, z.object({ title: z.string().min(1) })).title;
  svc.store.save();
  return json(ok({ id: ns.id, title: ns.title, supports_url_encoding: true }));
};

export const deleteKvNamespace: Handler = async (ctx, svc) => {
  const ns = namespaceOf(ctx, svc);
  // Its keys go with it: a Worker still bound to the id finds an empty namespace, as on Cloudflare.
  await withNamespace(ctx, svc, async (kv) => {
    for (let cursor: string | undefined; ; ) {
      const page = await kv.list(cursor ? { cursor } : {});
      await Promise.all(page.keys.map((k) => kv.delete(k.name)));
      if (page.list_complete) break;
      cursor = page.cursor;
    }
  });
  await svc.kv.closeNamespace(ns.accountId, ns.id);
  delete svc.store.state.kvNamespaces[ns.id];
  svc.store.save();
  return json(ok(null));
};

export const putKvValue: Handler = async (ctx, svc) => {
  const key = decodeURIComponent(param(ctx, "key"));
  const contentType = String(ctx.headers["content-type"] ?? "");
  let value: ArrayBuffer | string = new Uint8Array(ctx.body).buffer;
  let metadata: unknown;
  if (contentType.toLowerCase().startsWith("multipart/form-data")) {
    const form = await readFormData(ctx.body, contentType);
    const part = form.get("value");
    value = typeof part === "string" ? part : part ? await part.arrayBuffer() : "";
    const meta = form.get("metadata");
    if (typeof meta === "string" && meta !== "") {
      try {
        metadata = JSON.parse(meta);
      } catch {
        throw new CfApiError(400, CfCode.invalidRequest, "metadata: not valid JSON");
      }
    }
  }
  const options = { ...expiryOf(ctx.query.get("expiration"), ctx.query.get("expiration_ttl")), metadata };
  await withNamespace(ctx, svc, (kv) => kv.put(key, value, options));
  return json(ok(null));
};

export const getKvValue: Handler = async (ctx, svc) => {
  const key = decodeURIComponent(param(ctx, "key"));
  const value = await withNamespace(ctx, svc, (kv) => kv.get(key, "arrayBuffer"));
  if (value === null) throw new CfApiError(404, KV_KEY_NOT_FOUND, "get: 'key not found'");
  return { status: 200, bytes: Buffer.from(value) };
};

export const deleteKvValue: Handler = async (ctx, svc) => {
  const key = decodeURIComponent(param(ctx, "key"));
  await withNamespace(ctx, svc, (kv) => kv.delete(key));
  return json(ok(null));
};

export const listKvKeys: Handler = async (ctx, svc) => {
  const prefix = ctx.query.get("prefix") ?? undefined;
  const cursor = ctx.query.get("cursor") || undefined;
  const limit = Math.min(1000, Math.max(10, Number(ctx.query.get("limit") ?? 1000) || 1000));
  const page = await withNamespace(ctx, svc, (kv) => kv.list({ prefix, cursor, limit }));
  const keys = page.keys.map((k) => ({
    name: k.name,
    ...(k.expiration !== undefined ? { expiration: k.expiration } : {}),
    ...(k.metadata !== undefined ? { metadata: k.metadata } : {}),
  }));
  return json(ok(keys, { count: keys.length, cursor: page.list_complete ? "" : page.cursor } as never));
};

const BulkPut = z.array(
  z.looseObject({
    key: z.string().min(1),
    value: z.string(),
    base64: z.boolean().optional(),
    expiration: z.number().optional(),
    expiration_ttl: z.number().optional(),
    metadata: z.unknown().optional(),
  }),
);

export const putKvBulk: Handler = async (ctx, svc) => {
  const pairs = jsonBody(ctx, BulkPut);
  await withNamespace(ctx, svc, async (kv) => {
    for (const pair of pairs) {
      const value = pair.base64 ? new Uint8Array(Buffer.from(pair.value, "base64")).buffer : pair.value;
      await kv.put(pair.key, value, {
        ...expiryOf(pair.expiration, pair.expiration_ttl),
        metadata: pair.metadata,
      });
    }
  });
  return json(ok({ successful_key_count: pairs.length, unsuccessful_keys: [] }));
};

export const deleteKvBulk: Handler = async (ctx, svc) => {
  const keys = jsonBody(ctx, z.array(z.string()));
  await withNamespace(ctx, svc, async (kv) => {
    for (const key of keys) await kv.delete(key);
  });
  return json(ok({ successful_key_count: keys.length, unsuccessful_keys: [] }));
};

export const getKvBulk: Handler = async (ctx, svc) => {
  const body = jsonBody(
    ctx,
    z.looseObject({
      keys: z.array(z.string()).max(100),
      type: z.enum(["text", "json"]).optional(),
      withMetadata: z.boolean().optional(),
    }),
  );
  const values = await withNamespace(ctx, svc, async (kv) => {
    const out: Record<string, unknown> = {};
    for (const key of body.keys) {
      const read =
        body.type === "json" ? await kv.getWithMetadata(key, "json") : await kv.getWithMetadata(key, "text");
      out[key] = body.withMetadata ? { value: read.value, metadata: read.metadata } : read.value;
    }
    return out;
  });
  return json(ok({ values }));
};
