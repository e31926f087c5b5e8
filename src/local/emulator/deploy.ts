/**
 * Storing an uploaded Worker version and making it serve. Shared by the
 * script PUT (first deploy: upload + deploy in one call) and the versions API
 * (redeploy: upload, then a deployment pointing at the version).
 *
 * A version is started in Miniflare before it is accepted, so an upload whose
 * script throws at startup is refused with Cloudflare's code 10021 and nothing
 * of it is kept.
 */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Services } from "./context.ts";
import { CfApiError, CfCode } from "./envelope.ts";
import { assetFile, moduleFile, siteDir, writeStateFile } from "./files.ts";
import { hexId, uuid } from "./ids.ts";
import type { RunningWorker } from "./runtime.ts";
import {
  type AccountRecord,
  type BindingRecord,
  type DeploymentRecord,
  type ScriptRecord,
  scriptKey,
  type VersionRecord,
} from "./state.ts";
import type { ParsedUpload } from "./upload.ts";

export function findScript(svc: Services, accountId: string, name: string): ScriptRecord | undefined {
  return svc.store.state.scripts[scriptKey(accountId, name)];
}

export function requireScript(svc: Services, accountId: string, name: string): ScriptRecord {
  const script = findScript(svc, accountId, name);
  if (!script)
    throw new CfApiError(
      404,
      CfCode.workerNotFound,
      `This Worker does not exist on your account. [script ${name}]`,
    );
  return script;
}

export function activeVersion(script: ScriptRecord): VersionRecord | undefined {
  return script.versions.find((v) => v.id === script.activeVersionId);
}

/** New bindings plus the ones wrangler asked to keep (`keep_bindings` types, `inherit` entries). */
export function resolveBindings(
  sent: BindingRecord[],
  keepTypes: string[],
  previous: BindingRecord[],
): BindingRecord[] {
  const out: BindingRecord[] = [];
  for (const binding of sent) {
    if (binding.type === "inherit") {
      const old = previous.find((p) => p.name === binding.name);
      if (!old)
        throw new CfApiError(
          400,
          CfCode.invalidRequest,
          `Cannot inherit binding ${binding.name}: the previous version has none`,
        );
      out.push(old);
    } else {
      out.push(binding);
    }
  }
  for (const old of previous) {
    if (keepTypes.includes(old.type) && !out.some((b) => b.name === old.name)) out.push(old);
  }
  return out;
}

function resolveAssets(svc: Services, account: AccountRecord, upload: ParsedUpload): VersionRecord["assets"] {
  const assets = upload.metadata.assets;
  if (!assets) return null;
  const sessionJwt = svc.store.state.assetCompletions[assets.jwt];
  const session = sessionJwt ? svc.store.state.assetSessions[sessionJwt] : undefined;
  if (!session || session.accountId !== account.id) {
    throw new CfApiError(400, CfCode.invalidRequest, "Unknown or expired assets completion token");
  }
  return { manifest: session.manifest, config: assets.config ?? {} };
}

/** Lays the version's assets out by path (copies of the uploaded blobs) for Miniflare to serve. */
function layOutSite(svc: Services, account: AccountRecord, scriptName: string, version: VersionRecord): void {
  if (!version.assets) return;
  const root = join(svc.store.dir, siteDir(account.id, scriptName, version.id));
  for (const [path, hash] of Object.entries(version.assets.manifest)) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(svc.store.dir, assetFile(account.id, hash)), target);
  }
}

export interface StoredVersion {
  script: ScriptRecord;
  version: VersionRecord;
  worker: RunningWorker;
}

/** Validates, stores and starts one uploaded version (not yet receiving traffic). */
export async function storeVersion(
  svc: Services,
  account: AccountRecord,
  name: string,
  upload: ParsedUpload,
): Promise<StoredVersion> {
  const { metadata } = upload;
  const existing = findScript(svc, account.id, name);
  const previous = existing ? activeVersion(existing) : undefined;
  const now = svc.now().toISOString();
  const id = uuid();
  const version: VersionRecord = {
    id,
    number: (existing?.versions.at(-1)?.number ?? 0) + 1,
    createdOn: now,
    mainModule: metadata.main_module ?? null,
    bodyPart: metadata.body_part ?? null,
    modules: upload.modules.map((m) => ({
      name: m.name,
      type: m.type,
      file: moduleFile(account.id, name, id, m.name),
    })),
    compatibilityDate: metadata.compatibility_date ?? "2021-01-01",
    compatibilityFlags: metadata.compatibility_flags,
    bindings: resolveBindings(
      metadata.bindings as BindingRecord[],
      metadata.keep_bindings,
      previous?.bindings ?? [],
    ),
    assets: resolveAssets(svc, account, upload),
    annotations: metadata.annotations ?? {},
    startupTimeMs: 0,
  };
  for (const [i, m] of upload.modules.entries())
    writeStateFile(svc.store.dir, version.modules[i]!.file, m.bytes);
  layOutSite(svc, account, name, version);
  const script: ScriptRecord = existing ?? {
    accountId: account.id,
    name,
    tag: hexId(),
    etag: hexId(),
    createdOn: now,
    modifiedOn: now,
    versions: [],
    deployments: [],
    activeVersionId: null,
    subdomain: { enabled: true, previews_enabled: false },
    tags: [],
    settings: {},
  };
  const started = await svc.host.start(svc.versionSpec(script, version));
  if (!started.ok) {
    rmSync(join(svc.store.dir, "scripts", account.id, name, id), { recursive: true, force: true });
    rmSync(join(svc.store.dir, siteDir(account.id, name, id)), { recursive: true, force: true });
    svc.log(`upload of ${name} refused: script startup failed: ${started.error}`);
    throw new CfApiError(
      400,
      CfCode.scriptStartupFailed,
      `Uncaught error at script startup (code 10021): ${started.error}`,
    );
  }
  version.startupTimeMs = started.worker.startupMs;
  script.versions.push(version);
  script.modifiedOn = now;
  script.etag = hexId();
  svc.store.state.scripts[scriptKey(account.id, name)] = script;
  svc.store.save();
  return { script, version, worker: started.worker };
}

/** Points all traffic of `script` at `versionId` (the 100% version of a deployment) and records it. */
export async function deploy(
  svc: Services,
  script: ScriptRecord,
  deployment: Omit<DeploymentRecord, "id" | "createdOn">,
  started?: RunningWorker,
): Promise<DeploymentRecord> {
  const target = [...deployment.versions].sort((a, b) => b.percentage - a.percentage)[0];
  const version = script.versions.find((v) => v.id === target?.version_id);
  if (!version)
    throw new CfApiError(404, CfCode.versionNotFound, `Version ${target?.version_id ?? "(none)"} not found`);
  const key = scriptKey(script.accountId, script.name);
  if (started) await svc.host.activate(key, started);
  else if (!(await svc.host.promote(key, version.id))) {
    const result = await svc.host.ensure(key, version.id, () => svc.versionSpec(script, version));
    if (!result.ok) throw new CfApiError(400, CfCode.scriptStartupFailed, result.error);
  }
  const record: DeploymentRecord = { id: uuid(), createdOn: svc.now().toISOString(), ...deployment };
  script.deployments.push(record);
  script.activeVersionId = version.id;
  script.modifiedOn = record.createdOn;
  svc.store.save();
  return record;
}
