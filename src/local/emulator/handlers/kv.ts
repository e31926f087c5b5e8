/**
 * KV namespace listing and creation: wrangler calls these when a KV binding
 * has no id (auto-provisioning). The data itself lives in Miniflare.
 */
import { z } from "zod";
import { callerAccount, type Handler, json, jsonBody } from "../context.ts";
import { ok, paginate } from "../envelope.ts";
import { hexId } from "../ids.ts";

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
