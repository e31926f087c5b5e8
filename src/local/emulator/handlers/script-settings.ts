/**
 * The per-script calls around a deploy: settings, script-settings, secrets,
 * the workers.dev subdomain (account and script), and the
 * `workers/workers/:script` lookup whose `subdomain.url` wrangler prints.
 */
import { z } from "zod";
import { callerAccount, type Handler, json, jsonBody, param } from "../context.ts";
import { activeVersion, requireScript } from "../deploy.ts";
import { ok } from "../envelope.ts";
import { workersDevHostname } from "../workers-dev.ts";

export const getAccountSubdomain: Handler = (ctx) => json(ok({ subdomain: callerAccount(ctx).subdomain }));

export const getSettings: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const version = activeVersion(script);
  return json(
    ok({
      bindings: (version?.bindings ?? []).map((b) =>
        b.type === "secret_text" ? { name: b.name, type: b.type } : b,
      ),
      compatibility_date: version?.compatibilityDate,
      compatibility_flags: version?.compatibilityFlags ?? [],
      placement: {},
      tags: script.tags,
      tail_consumers: [],
      logpush: false,
      usage_model: "standard",
      ...script.settings,
    }),
  );
};

const SettingsPatch = z.looseObject({ tags: z.array(z.string()).optional() });

/** PATCH …/settings (multipart) and …/script-settings (JSON): remembered, not acted on. */
export const patchScriptSettings: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const isJson = String(ctx.headers["content-type"] ?? "").includes("json");
  if (isJson) {
    const { tags, ...rest } = jsonBody(ctx, SettingsPatch);
    if (tags) script.tags = tags;
    script.settings = { ...script.settings, ...rest };
    svc.store.save();
  }
  return json(ok({ ...script.settings, tags: script.tags, logpush: false }));
};

export const getScriptSettings: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  return json(ok({ ...script.settings, tags: script.tags, logpush: false }));
};

export const listSecrets: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const secrets = (activeVersion(script)?.bindings ?? []).filter((b) => b.type === "secret_text");
  return json(ok(secrets.map((b) => ({ name: b.name, type: "secret_text" }))));
};

export const getScriptSubdomain: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  return json(ok(script.subdomain));
};

const SubdomainBody = z.looseObject({ enabled: z.boolean(), previews_enabled: z.boolean().optional() });

export const postScriptSubdomain: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const body = jsonBody(ctx, SubdomainBody);
  script.subdomain = {
    enabled: body.enabled,
    previews_enabled: body.previews_enabled ?? script.subdomain.previews_enabled,
  };
  svc.store.save();
  return json(ok(script.subdomain));
};

/**
 * GET /accounts/:account/workers/workers/:script. `subdomain.url` is the
 * public workers.dev URL; wrangler prints its hostname, so the deploy output
 * reads exactly as on Cloudflare.
 */
export const getWorker: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const script = requireScript(svc, account.id, param(ctx, "script"));
  return json(
    ok({
      id: script.tag,
      name: script.name,
      created_on: script.createdOn,
      updated_on: script.modifiedOn,
      tags: script.tags,
      logpush: false,
      subdomain: {
        ...script.subdomain,
        ...(script.subdomain.enabled
          ? { url: `https://${workersDevHostname(script.name, account.subdomain)}/` }
          : {}),
      },
    }),
  );
};

export const listScripts: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  return json(
    ok(
      svc.store.scriptsOf(account.id).map((s) => ({
        id: s.name,
        tag: s.tag,
        etag: s.etag,
        created_on: s.createdOn,
        modified_on: s.modifiedOn,
      })),
    ),
  );
};
