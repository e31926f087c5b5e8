/**
 * Worker scripts: the upload PUT (first deploy), the versions and deployments
 * API (redeploys), the services lookup wrangler starts with, and delete.
 * Response shapes are the fields wrangler reads (cloudflare-api.md §3a).
 */
import { z } from "zod";
import { callerAccount, type Handler, json, jsonBody, param } from "../context.ts";
import { activeVersion, deploy, requireScript, storeVersion } from "../deploy.ts";
import { CfApiError, CfCode, ok } from "../envelope.ts";
import { removeScriptFiles } from "../files.ts";
import { type DeploymentRecord, type ScriptRecord, scriptKey, type VersionRecord } from "../state.ts";
import { parseUpload } from "../upload.ts";

function contentType(ctx: { headers: Record<string, string | string[] | undefined> }): string {
  const value = ctx.headers["content-type"];
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

function scriptRuntime(version: VersionRecord) {
  return {
    compatibility_date: version.compatibilityDate,
    compatibility_flags: version.compatibilityFlags,
    usage_model: "standard",
  };
}

function scriptResult(script: ScriptRecord, version: VersionRecord) {
  return {
    id: script.name,
    tag: script.tag,
    etag: script.etag,
    created_on: script.createdOn,
    modified_on: script.modifiedOn,
    handlers: ["fetch"],
    has_modules: version.mainModule !== null,
    has_assets: version.assets !== null,
    last_deployed_from: "wrangler",
    ...scriptRuntime(version),
  };
}

function versionResult(script: ScriptRecord, version: VersionRecord) {
  return {
    id: version.id,
    number: version.number,
    metadata: {
      created_on: version.createdOn,
      modified_on: version.createdOn,
      source: "wrangler",
      author_email: "emulator@localhost",
    },
    annotations: version.annotations,
    resources: {
      script: { etag: script.etag, handlers: ["fetch"], last_deployed_from: "wrangler" },
      script_runtime: scriptRuntime(version),
      bindings: version.bindings
        .filter((b) => b.type !== "secret_text")
        .concat(
          version.bindings
            .filter((b) => b.type === "secret_text")
            .map((b) => ({ name: b.name, type: b.type })),
        ),
    },
    startup_time_ms: version.startupTimeMs,
  };
}

function deploymentResult(d: DeploymentRecord) {
  return {
    id: d.id,
    created_on: d.createdOn,
    source: d.source,
    strategy: d.strategy,
    author_email: "emulator@localhost",
    annotations: d.annotations,
    versions: d.versions,
  };
}

/** PUT /accounts/:account/workers/scripts/:script: upload and deploy at once. */
export const putScript: Handler = async (ctx, svc) => {
  const account = callerAccount(ctx);
  const upload = await parseUpload(ctx.body, contentType(ctx));
  const { script, version, worker } = await storeVersion(svc, account, param(ctx, "script"), upload);
  await deploy(
    svc,
    script,
    {
      source: "wrangler",
      strategy: "percentage",
      versions: [{ version_id: version.id, percentage: 100 }],
      annotations: {},
    },
    worker,
  );
  return json(
    ok({
      ...scriptResult(script, version),
      deployment_id: version.id,
      startup_time_ms: version.startupTimeMs,
    }),
  );
};

/** POST …/:script/versions: upload a version without deploying it. */
export const postVersion: Handler = async (ctx, svc) => {
  const account = callerAccount(ctx);
  const upload = await parseUpload(ctx.body, contentType(ctx));
  const { script, version, worker } = await storeVersion(svc, account, param(ctx, "script"), upload);
  await svc.host.hold(scriptKey(account.id, script.name), worker);
  return json(ok(versionResult(script, version)));
};

export const listVersions: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const items = [...script.versions].reverse().map((v) => versionResult(script, v));
  return json(ok({ items }));
};

export const getVersion: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const id = param(ctx, "version");
  const version = id === "latest" ? script.versions.at(-1) : script.versions.find((v) => v.id === id);
  if (!version) throw new CfApiError(404, CfCode.versionNotFound, `Version ${id} not found`);
  return json(ok(versionResult(script, version)));
};

const DeploymentBody = z.looseObject({
  strategy: z.string().default("percentage"),
  versions: z.array(z.object({ version_id: z.string(), percentage: z.number() })).min(1),
  annotations: z.record(z.string(), z.unknown()).default({}),
});

export const postDeployment: Handler = async (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const body = jsonBody(ctx, DeploymentBody);
  const record = await deploy(svc, script, {
    source: "wrangler",
    strategy: body.strategy,
    versions: body.versions,
    annotations: body.annotations,
  });
  return json(ok(deploymentResult(record)));
};

export const listDeployments: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  return json(ok({ deployments: [...script.deployments].reverse().map(deploymentResult) }));
};

/** GET /accounts/:account/workers/services/:script: 10007 tells wrangler this is a new Worker. */
export const getService: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  return json(
    ok({
      id: script.name,
      created_on: script.createdOn,
      modified_on: script.modifiedOn,
      default_environment: {
        environment: "production",
        created_on: script.createdOn,
        modified_on: script.modifiedOn,
        script: { tag: script.tag, tags: script.tags, etag: script.etag, last_deployed_from: "wrangler" },
      },
    }),
  );
};

export const getScript: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const version = activeVersion(script) ?? script.versions.at(-1);
  if (!version) throw new CfApiError(404, CfCode.workerNotFound, "This Worker has no versions");
  return json(ok(scriptResult(script, version)));
};

export const deleteScript: Handler = async (ctx, svc) => {
  const account = callerAccount(ctx);
  const script = requireScript(svc, account.id, param(ctx, "script"));
  await svc.host.stop(scriptKey(account.id, script.name));
  delete svc.store.state.scripts[scriptKey(account.id, script.name)];
  for (const [id, d] of Object.entries(svc.store.state.customDomains)) {
    if (d.accountId === account.id && d.service === script.name) delete svc.store.state.customDomains[id];
  }
  removeScriptFiles(svc.store.dir, account.id, script.name);
  svc.store.save();
  return json(ok({ id: script.name }));
};
