/**
 * Turns an uploaded Worker version into Miniflare 4 options. Pure: the caller
 * reads the module bytes and decides where data persists.
 *
 * Bindings follow wrangler's metadata shapes. A KV namespace whose id is
 * `"temporary"` (what `wrangler deploy --temporary` users write) becomes a
 * namespace of its own per script and binding name, persisted with the account.
 * Binding types Miniflare cannot back here are refused, so a deploy fails
 * loudly instead of a Worker finding `env.X` undefined at run time.
 */
import { createRequire } from "node:module";
import { posix } from "node:path";
import type { MiniflareOptions } from "miniflare";
import type { BindingRecord, ModuleType } from "./state.ts";

export interface HostModule {
  name: string;
  type: ModuleType;
  contents: Uint8Array;
}

export interface HostSpec {
  accountId: string;
  script: string;
  versionId: string;
  modules: HostModule[];
  mainModule: string | null;
  bodyPart: string | null;
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: BindingRecord[];
  assets: { directory: string; config: Record<string, unknown>; binding: string | null } | null;
  /** Absolute directory for this account's KV/D1/R2/DO data. */
  persistDir: string;
}

export type BuildResult = { ok: true; options: MiniflareOptions } | { ok: false; error: string };

const MODULES_ROOT = "/worker";
const ASSETS_ONLY_SCRIPT = "export default { fetch() { return new Response(null, { status: 404 }); } };";

/** The newest compatibility date the bundled workerd accepts (it refuses later ones). */
export const maxCompatibilityDate: string = (() => {
  try {
    const workerd = createRequire(import.meta.url)("workerd") as { compatibilityDate?: unknown };
    return typeof workerd.compatibilityDate === "string" ? workerd.compatibilityDate : "2026-07-30";
  } catch {
    return "2026-07-30";
  }
})();

export function clampCompatibilityDate(date: string, max = maxCompatibilityDate): string {
  return date > max ? max : date;
}

/** Where an account's D1 databases persist: the Worker bindings and the D1 API's runner share it. */
export function d1PersistDir(persistDir: string): string {
  return posix.join(persistDir, "d1");
}

export function kvNamespaceId(script: string, binding: BindingRecord): string {
  const id = typeof binding.namespace_id === "string" ? binding.namespace_id : "temporary";
  return id === "temporary" ? `temporary-${script}-${binding.name}` : id;
}

interface BindingOptions {
  bindings: Record<string, unknown>;
  kvNamespaces: Record<string, string>;
  d1Databases: Record<string, string>;
  r2Buckets: Record<string, string>;
  durableObjects: Record<string, string>;
}

function mapBindings(spec: HostSpec): { ok: true; value: BindingOptions } | { ok: false; error: string } {
  const out: BindingOptions = {
    bindings: {},
    kvNamespaces: {},
    d1Databases: {},
    r2Buckets: {},
    durableObjects: {},
  };
  for (const b of spec.bindings) {
    switch (b.type) {
      case "plain_text":
      case "secret_text":
        out.bindings[b.name] = String(b.text ?? "");
        break;
      case "json":
        out.bindings[b.name] = b.json;
        break;
      case "kv_namespace":
        out.kvNamespaces[b.name] = kvNamespaceId(spec.script, b);
        break;
      case "d1":
        out.d1Databases[b.name] = String(b.id ?? b.database_id ?? b.name);
        break;
      case "r2_bucket":
        out.r2Buckets[b.name] = String(b.bucket_name ?? b.name);
        break;
      case "durable_object_namespace":
        if (b.script_name && b.script_name !== spec.script) {
          return {
            ok: false,
            error: `Durable Object binding ${b.name} points at another script (${String(b.script_name)}), which the emulator does not support`,
          };
        }
        out.durableObjects[b.name] = String(b.class_name);
        break;
      case "version_metadata":
        out.bindings[b.name] = { id: spec.versionId, tag: "", timestamp: new Date().toISOString() };
        break;
      case "assets":
        break; // handled with the assets options
      default:
        return {
          ok: false,
          error: `Binding ${b.name} has type "${b.type}", which the local emulator does not support`,
        };
    }
  }
  return { ok: true, value: out };
}

function orderedModules(
  spec: HostSpec,
): { type: ModuleType; path: string; contents: Uint8Array<ArrayBuffer> }[] {
  const main = spec.modules.filter((m) => m.name === spec.mainModule);
  const rest = spec.modules.filter((m) => m.name !== spec.mainModule);
  return [...main, ...rest].map((m) => ({
    type: m.type,
    path: posix.join(MODULES_ROOT, m.name),
    contents: new Uint8Array(m.contents),
  }));
}

export function buildMiniflareOptions(spec: HostSpec): BuildResult {
  const mapped = mapBindings(spec);
  if (!mapped.ok) return mapped;
  const { bindings, kvNamespaces, d1Databases, r2Buckets, durableObjects } = mapped.value;
  const common = {
    name: spec.script,
    compatibilityDate: clampCompatibilityDate(spec.compatibilityDate),
    compatibilityFlags: spec.compatibilityFlags,
    bindings,
    kvNamespaces,
    d1Databases,
    r2Buckets,
    durableObjects,
    kvPersist: posix.join(spec.persistDir, "kv"),
    d1Persist: d1PersistDir(spec.persistDir),
    r2Persist: posix.join(spec.persistDir, "r2"),
    durableObjectsPersist: posix.join(spec.persistDir, "do", spec.script),
    host: "127.0.0.1",
    port: 0,
    cf: false,
  };
  const assets = spec.assets
    ? {
        assets: {
          directory: spec.assets.directory,
          ...(spec.assets.binding ? { binding: spec.assets.binding } : {}),
          routerConfig: { has_user_worker: spec.mainModule !== null || spec.bodyPart !== null },
          assetConfig: spec.assets.config,
        },
      }
    : {};
  if (spec.mainModule) {
    if (!spec.modules.some((m) => m.name === spec.mainModule)) {
      return { ok: false, error: `main_module ${spec.mainModule} is not among the uploaded parts` };
    }
    return {
      ok: true,
      options: {
        ...common,
        ...assets,
        modulesRoot: MODULES_ROOT,
        modules: orderedModules(spec),
      } as MiniflareOptions,
    };
  }
  if (spec.bodyPart) {
    const part = spec.modules.find((m) => m.name === spec.bodyPart);
    if (!part) return { ok: false, error: `body_part ${spec.bodyPart} is not among the uploaded parts` };
    return {
      ok: true,
      options: { ...common, ...assets, script: new TextDecoder().decode(part.contents) } as MiniflareOptions,
    };
  }
  if (spec.assets) {
    return {
      ok: true,
      options: { ...common, ...assets, modules: true, script: ASSETS_ONLY_SCRIPT } as MiniflareOptions,
    };
  }
  return { ok: false, error: "The upload has neither main_module, body_part nor assets" };
}
