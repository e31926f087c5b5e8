/**
 * Worker secrets: `wrangler secret put` / `delete` / `bulk` (and `list`, in
 * script-settings.ts). As on Cloudflare, changing a secret makes a new version
 * of the Worker (the deployed one's code and bindings with that secret set or
 * removed) and deploys it at once, annotated `workers/triggered_by: secret`;
 * the Worker then sees it in `env`. The value is kept in the persisted state
 * like any `secret_text` binding, and no answer, log line or error carries it.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { callerAccount, type Handler, json, jsonBody, param, type Services } from "../context.ts";
import { activeVersion, deploy, requireScript } from "../deploy.ts";
import { CfApiError, CfCode, ok } from "../envelope.ts";
import { moduleFile, siteDir } from "../files.ts";
import { uuid } from "../ids.ts";
import { type BindingRecord, type ScriptRecord, scriptKey, type VersionRecord } from "../state.ts";

/** Cloudflare's codes for a secret edit when the newest version is not the deployed one, and for a missing secret. */
export const SecretCode = { latestNotDeployed: 10215, notFound: 10056, noVersions: 10222 } as const;

const SecretBody = z.object({
  name: z.string().min(1),
  text: z.string(),
  type: z.literal("secret_text"),
});

/** The deployed version, which a secret edit builds on; refused when a newer version waits undeployed. */
function baseVersion(script: ScriptRecord): VersionRecord {
  const active = activeVersion(script);
  if (!active || script.versions.at(-1)?.id !== active.id)
    throw new CfApiError(
      400,
      SecretCode.latestNotDeployed,
      "Secret edit failed. You attempted to modify a secret, but the latest version of your Worker isn't currently deployed. Please ensure that the latest version of your Worker is fully deployed (wrangler versions deploy) before modifying secrets. Alternatively, you can use the Cloudflare dashboard to modify secrets and deploy the version.",
    );
  return active;
}

/**
 * A copy of `base` with `bindings`, started and deployed to 100%, as a secret change does on
 * Cloudflare; with `deployIt: false` (`wrangler versions secret …`) only held for a later
 * `versions deploy`.
 */
async function deployWithBindings(
  svc: Services,
  script: ScriptRecord,
  base: VersionRecord,
  bindings: BindingRecord[],
  options: { annotations?: Record<string, unknown>; deployIt?: boolean } = {},
): Promise<VersionRecord> {
  const dir = svc.store.dir;
  const id = uuid();
  const version: VersionRecord = {
    ...base,
    id,
    number: (script.versions.at(-1)?.number ?? 0) + 1,
    createdOn: svc.now().toISOString(),
    modules: base.modules.map((m) => ({ ...m, file: moduleFile(script.accountId, script.name, id, m.name) })),
    bindings,
    annotations: options.annotations ?? { "workers/triggered_by": "secret" },
    startupTimeMs: 0,
  };
  for (const [i, m] of base.modules.entries()) {
    const target = join(dir, version.modules[i]!.file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(dir, m.file), target);
  }
  const baseSite = join(dir, siteDir(script.accountId, script.name, base.id));
  const site = join(dir, siteDir(script.accountId, script.name, id));
  if (existsSync(baseSite)) cpSync(baseSite, site, { recursive: true });
  const started = await svc.host.start(svc.versionSpec(script, version));
  if (!started.ok) {
    rmSync(join(dir, "scripts", script.accountId, script.name, id), { recursive: true, force: true });
    rmSync(site, { recursive: true, force: true });
    throw new CfApiError(400, CfCode.scriptStartupFailed, started.error);
  }
  version.startupTimeMs = started.worker.startupMs;
  script.versions.push(version);
  svc.store.save();
  if (options.deployIt === false) {
    await svc.host.hold(scriptKey(script.accountId, script.name), started.worker);
    return version;
  }
  await deploy(
    svc,
    script,
    {
      source: "wrangler",
      strategy: "percentage",
      versions: [{ version_id: id, percentage: 100 }],
      annotations: { "workers/triggered_by": "secret" },
    },
    started.worker,
  );
  return version;
}

/** PUT …/scripts/:script/secrets: set (create or replace) one secret. */
export const putSecret: Handler = async (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const body = jsonBody(ctx, SecretBody);
  const base = baseVersion(script);
  const bindings = base.bindings.filter((b) => b.name !== body.name);
  bindings.push({ name: body.name, type: "secret_text", text: body.text });
  await deployWithBindings(svc, script, base, bindings);
  svc.log(`secret ${body.name} set on ${script.name}: new version deployed`);
  return json(ok({ name: body.name, type: "secret_text" }));
};

/** DELETE …/scripts/:script/secrets/:secret */
export const deleteSecret: Handler = async (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const name = param(ctx, "secret");
  const base = baseVersion(script);
  if (!base.bindings.some((b) => b.name === name && b.type === "secret_text"))
    throw new CfApiError(404, SecretCode.notFound, `Secret ${name} not found on Worker ${script.name}`);
  await deployWithBindings(
    svc,
    script,
    base,
    base.bindings.filter((b) => b.name !== name),
  );
  svc.log(`secret ${name} deleted from ${script.name}: new version deployed`);
  return json(ok(null));
};

const BulkBody = z.object({ secrets: z.record(z.string(), SecretBody.nullable()) });

/** PATCH …/scripts/:script/secrets-bulk (merge patch: a value sets, null removes), one new version for all. */
export const patchSecretsBulk: Handler = async (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const { secrets } = jsonBody(ctx, BulkBody);
  const base = baseVersion(script);
  const bindings = base.bindings.filter((b) => !(b.name in secrets));
  for (const [name, secret] of Object.entries(secrets))
    if (secret) bindings.push({ name, type: "secret_text", text: secret.text });
  await deployWithBindings(svc, script, base, bindings);
  svc.log(`secrets ${Object.keys(secrets).join(", ")} changed on ${script.name}: new version deployed`);
  return json(
    ok(bindings.filter((b) => b.type === "secret_text").map((b) => ({ name: b.name, type: "secret_text" }))),
  );
};

const LatestPatch = z.object({
  env: z.record(z.string(), z.object({ type: z.literal("secret_text"), text: z.string() }).nullable()),
  annotations: z.record(z.string(), z.unknown()).default({}),
});

/**
 * PATCH /workers/workers/:script/versions/latest (`wrangler versions secret put/delete/bulk`):
 * a new version from the newest one with the secrets changed, not deployed.
 */
export const patchLatestVersion: Handler = async (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const body = jsonBody(ctx, LatestPatch);
  const base = script.versions.at(-1);
  if (!base) throw new CfApiError(400, SecretCode.noVersions, `Worker ${script.name} has no versions`);
  const bindings = base.bindings.filter((b) => !(b.name in body.env));
  for (const [name, secret] of Object.entries(body.env))
    if (secret) bindings.push({ name, type: "secret_text", text: secret.text });
  const annotations = Object.fromEntries(Object.entries(body.annotations).filter(([, v]) => v != null));
  const version = await deployWithBindings(svc, script, base, bindings, { annotations, deployIt: false });
  svc.log(
    `secrets ${Object.keys(body.env).join(", ")} changed in new version ${version.id} of ${script.name}`,
  );
  return json(
    ok({
      id: version.id,
      number: version.number,
      metadata: { created_on: version.createdOn, source: "wrangler" },
      annotations: version.annotations,
    }),
  );
};

/** GET …/scripts/:script/secrets/:secret: the name and type, never the value. */
export const getSecret: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const name = param(ctx, "secret");
  const found = activeVersion(script)?.bindings.find((b) => b.name === name && b.type === "secret_text");
  if (!found)
    throw new CfApiError(404, SecretCode.notFound, `Secret ${name} not found on Worker ${script.name}`);
  return json(ok({ name, type: "secret_text" }));
};
