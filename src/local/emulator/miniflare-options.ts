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
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { posix } from "node:path";
import type { MiniflareOptions } from "miniflare";
import { type ForwardedQueue, type MiniflareQueueConsumer, QUEUE_FORWARDER_SCRIPT } from "./queue-options.ts";
import type { BindingRecord, ModuleType } from "./state.ts";
import { unsupportedBindingError } from "./unsupported.ts";

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
  /**
   * Each `service` binding's target, resolved by the caller: a handler that serves the request with
   * another Worker of the same account (null: no such Worker is deployed).
   */
  services?: Record<string, ServiceHandler | null>;
  /** Each `hyperdrive` binding's connection string (null: the config is gone), resolved by the caller. */
  hyperdrives?: Record<string, string | null>;
  assets: { directory: string; config: Record<string, unknown>; binding: string | null } | null;
  /** Absolute directory for this account's KV/D1/R2/DO data. */
  persistDir: string;
  /** Queues this script consumes (queue name → settings), from the consumers registered for it. */
  queueConsumers?: Record<string, MiniflareQueueConsumer>;
  /** Queues it produces to whose consumer is another Worker: where to hand batches over, and each queue's token. */
  queueForwarding?: { url: string; queues: Record<string, ForwardedQueue> };
}

/** Serves a service binding's request in Node (Miniflare's `{ node }` custom service). */
export type ServiceHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

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
  hyperdrives: Record<string, string>;
  mtlsCertificates: Record<string, { certificate_id: string }>;
  serviceBindings: Record<string, { node: ServiceHandler }>;
  queueProducers: Record<string, { queueName: string; deliveryDelay?: number }>;
}

function mapBindings(spec: HostSpec): { ok: true; value: BindingOptions } | { ok: false; error: string } {
  const out: BindingOptions = {
    bindings: {},
    kvNamespaces: {},
    d1Databases: {},
    r2Buckets: {},
    durableObjects: {},
    hyperdrives: {},
    mtlsCertificates: {},
    serviceBindings: {},
    queueProducers: {},
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
      case "queue":
        out.queueProducers[b.name] = {
          queueName: String(b.queue_name),
          ...(typeof b.delivery_delay === "number" ? { deliveryDelay: b.delivery_delay } : {}),
        };
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
      case "hyperdrive": {
        const connection = spec.hyperdrives?.[b.name];
        if (!connection) {
          return {
            ok: false,
            error: `Hyperdrive binding ${b.name} names config ${String(b.id)}, which this account does not have`,
          };
        }
        out.hyperdrives[b.name] = connection;
        break;
      }
      case "service": {
        if (b.entrypoint) {
          return {
            ok: false,
            error: `Service binding ${b.name} names entrypoint ${String(b.entrypoint)}; the emulator serves default entrypoints only`,
          };
        }
        const handler = spec.services?.[b.name];
        if (!handler) {
          return {
            ok: false,
            error: `Service binding ${b.name} points at Worker ${String(b.service)}, which is not deployed in this account`,
          };
        }
        out.serviceBindings[b.name] = { node: handler };
        break;
      }
      case "mtls_certificate":
        out.mtlsCertificates[b.name] = { certificate_id: String(b.certificate_id) };
        break;
      case "version_metadata":
        out.bindings[b.name] = { id: spec.versionId, tag: "", timestamp: new Date().toISOString() };
        break;
      case "assets":
        break; // handled with the assets options
      default:
        return {
          ok: false,
          error:
            unsupportedBindingError(b) ??
            `Binding ${b.name} has type "${b.type}", which the local emulator does not support`,
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

/** Options Miniflare takes once for the whole runtime, not per Worker. */
const SHARED_KEYS = ["host", "port", "cf", "kvPersist", "d1Persist", "r2Persist", "durableObjectsPersist"];

export function buildMiniflareOptions(spec: HostSpec): BuildResult {
  const built = buildWorkerOptions(spec);
  const queues = Object.entries(spec.queueForwarding?.queues ?? {});
  if (!built.ok || queues.length === 0) return built;
  // A second Worker in the same runtime consumes the forwarded queues (queue-options.ts).
  const entries = Object.entries(built.options as Record<string, unknown>);
  const shared = Object.fromEntries(entries.filter(([key]) => SHARED_KEYS.includes(key)));
  const worker = Object.fromEntries(entries.filter(([key]) => !SHARED_KEYS.includes(key)));
  const forwarder = {
    name: `${spec.script}--queue-forwarder`,
    modules: true,
    script: QUEUE_FORWARDER_SCRIPT,
    compatibilityDate: clampCompatibilityDate("2025-01-01"),
    bindings: {
      DELIVER_URL: spec.queueForwarding?.url ?? "",
      TOKENS: Object.fromEntries(queues.map(([name, q]) => [name, q.token])),
    },
    queueConsumers: Object.fromEntries(queues.map(([name, q]) => [name, q.consumer])),
  };
  return { ok: true, options: { ...shared, workers: [worker, forwarder] } as MiniflareOptions };
}

function buildWorkerOptions(spec: HostSpec): BuildResult {
  const mapped = mapBindings(spec);
  if (!mapped.ok) return mapped;
  const {
    bindings,
    kvNamespaces,
    d1Databases,
    r2Buckets,
    durableObjects,
    hyperdrives,
    mtlsCertificates,
    serviceBindings,
    queueProducers,
  } = mapped.value;
  const common = {
    name: spec.script,
    compatibilityDate: clampCompatibilityDate(spec.compatibilityDate),
    compatibilityFlags: spec.compatibilityFlags,
    bindings,
    kvNamespaces,
    d1Databases,
    r2Buckets,
    durableObjects,
    ...(Object.keys(hyperdrives).length ? { hyperdrives } : {}),
    ...(Object.keys(mtlsCertificates).length ? { mtlsCertificates } : {}),
    ...(Object.keys(serviceBindings).length ? { serviceBindings } : {}),
    queueProducers,
    queueConsumers: spec.queueConsumers ?? {},
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
