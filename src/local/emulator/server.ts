/**
 * `startEmulator`: the HTTP server that stands in for api.cloudflare.com and
 * for `*.workers.dev`. It routes each request to the API handlers (under
 * `/client/v4`), the claim page, the admin API (`/__emulator/…`) or a
 * deployed Worker, records it in the request log, and sweeps expired
 * temporary accounts. State lives in `stateDir` and survives a restart.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bearerCheck, newSecret } from "../bearer-secret.ts";
import { expireDueAccounts } from "./accounts.ts";
import type { Challenge, Services } from "./context.ts";
import { D1Runners } from "./d1-runner.ts";
import { KvRunners } from "./kv-runner.ts";
import { dispatch, faultReply, requestKind } from "./dispatch.ts";
import { FaultTable } from "./faults.ts";
import { hyperdriveConnectionString } from "./handlers/hyperdrive.ts";
import { dataDir, removeAccountFiles, siteDir } from "./files.ts";
import type { HostSpec } from "./miniflare-options.ts";
import {
  type LoggedRequest,
  type RequestKind,
  RequestLog,
  redactHeaders,
  redactPath,
} from "./request-log.ts";
import { forwardedQueuesOf, queueConsumersOf } from "./queue-options.ts";
import { WorkerHost } from "./runtime.ts";
import { StateStore } from "./state.ts";
import { isCustomDomain, proxyToWorker, serviceHandler } from "./worker-proxy.ts";
import { parseWorkersDevHost, parseWorkersPath, toLocalUrl } from "./workers-dev.ts";

export const API_PREFIX = "/client/v4";

export interface EmulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Where state persists; default a fresh temporary directory. */
  stateDir?: string;
  /** Lifetime of a temporary account; default 60 minutes. */
  accountLifetimeMs?: number;
  /** Proof-of-work parameters; default k=4, g=1000 (about 5 ms of work for wrangler). */
  powDifficulty?: { k: number; g: number };
  /**
   * A deployed Worker that has served no request for this long is stopped (its workerd
   * process ends) and started again by the next request; default 60 s.
   */
  workerIdleMs?: number;
  /** How often expired accounts are swept; default 1 s. */
  sweepIntervalMs?: number;
  /** Receives informational log lines; default console.log. Unknown endpoints also go to console.warn. */
  log?: (line: string) => void;
  /**
   * The bearer secret the admin routes (`/__emulator/*` but health and terms) demand. Default:
   * random per start, read back from `Emulator.adminSecret`. Never put it on a command line.
   */
  adminSecret?: string;
  /**
   * The request log to append to (default: a new one). A restarted emulator is handed the log
   * of the one before it, so tests see every request across restarts in one sequence.
   */
  requestLog?: RequestLog;
}

export interface Emulator {
  /** The emulator's origin, e.g. `http://127.0.0.1:8788`. */
  url: string;
  /** The value for `CLOUDFLARE_API_BASE_URL`: `<url>/client/v4`. */
  apiBaseUrl: string;
  stateDir: string;
  /** The admin routes' bearer secret: for the stack and tests only (never logged, never on argv). */
  adminSecret: string;
  requestLog: RequestLog;
  /** workerd processes running uploaded Workers now (serving or validated and held for a deploy). */
  runningWorkers(): number;
  /** Maps a public Worker URL (`https://s.sub.workers.dev/p`) to one reachable through this emulator. */
  localUrl(publicUrl: string): string;
  close(): Promise<void>;
}

const DEFAULT_LIFETIME_MS = 60 * 60_000;

const OWN_PATHS = [API_PREFIX, "/__emulator/", "/claim/", "/__workers/"];

/**
 * A request for some other site (a custom domain that was removed, a route host):
 * answered like Cloudflare answers a hostname with no Worker, not as an unknown API call.
 */
function isSiteRequest(host: string, pathname: string): boolean {
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  const isLocal = hostname === "localhost" || /^[\d.]+$/.test(hostname) || hostname.startsWith("[");
  return !isLocal && hostname.includes(".") && !OWN_PATHS.some((p) => pathname.startsWith(p));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Starts the emulator and resolves once it listens.
 *
 * @example
 * const emu = await startEmulator({ stateDir: ".nightshift/emulator", accountLifetimeMs: 10_000 });
 * // CLOUDFLARE_API_BASE_URL=emu.apiBaseUrl npx wrangler deploy --temporary
 * await fetch(emu.localUrl("https://hello.tmp-1a2b3c4d.workers.dev/"));
 * await fetch(`${emu.url}/__emulator/accounts`, { headers: { authorization: `Bearer ${emu.adminSecret}` } });
 * await emu.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "nightshift-emulator-"));
  const log = options.log ?? ((line: string) => console.log(`[emulator] ${line}`));
  const store = new StateStore(stateDir);
  const host = new WorkerHost(options.workerIdleMs === undefined ? {} : { idleMs: options.workerIdleMs });
  const requestLog = options.requestLog ?? new RequestLog();
  const faults = new FaultTable();
  const d1 = new D1Runners();
  const kv = new KvRunners();
  const bindHost = options.host ?? "127.0.0.1";
  const adminSecret = options.adminSecret ?? newSecret();
  const isAdmin = bearerCheck(adminSecret);
  let baseUrl = "";

  const svc: Services = {
    store,
    host,
    d1,
    kv,
    config: {
      accountLifetimeMs: options.accountLifetimeMs ?? DEFAULT_LIFETIME_MS,
      powK: options.powDifficulty?.k ?? 4,
      powG: options.powDifficulty?.g ?? 1000,
    },
    challenges: new Map<string, Challenge>(),
    faults,
    baseUrl: () => baseUrl,
    now: () => new Date(),
    log,
    isAdmin,
    async deleteAccount(accountId) {
      const { state } = store;
      for (const script of store.scriptsOf(accountId)) {
        await host.stop(`${accountId}/${script.name}`);
        delete state.scripts[`${accountId}/${script.name}`];
      }
      await Promise.all([d1.closeAccount(accountId), kv.closeAccount(accountId)]);
      for (const table of [
        state.customDomains,
        state.kvNamespaces,
        state.hyperdriveConfigs,
        state.mtlsCertificates,
        state.d1Databases,
      ]) {
        for (const [id, row] of Object.entries(table)) if (row.accountId === accountId) delete table[id];
      }
      for (const [jwt, session] of Object.entries(state.assetSessions)) {
        if (session.accountId !== accountId) continue;
        delete state.assetCompletions[session.completionJwt];
        delete state.assetSessions[jwt];
      }
      for (const key of Object.keys(state.idempotency))
        if (key.startsWith(`${accountId} `)) delete state.idempotency[key];
      for (const [id, queue] of Object.entries(state.queues))
        if (queue.accountId === accountId) delete state.queues[id];
      delete state.accounts[accountId];
      removeAccountFiles(stateDir, accountId);
      store.save();
    },
    versionSpec(script, version): HostSpec {
      const assetsBinding = version.bindings.find((b) => b.type === "assets");
      return {
        accountId: script.accountId,
        script: script.name,
        versionId: version.id,
        modules: version.modules.map((m) => ({
          name: m.name,
          type: m.type,
          contents: readFileSync(join(stateDir, m.file)),
        })),
        mainModule: version.mainModule,
        bodyPart: version.bodyPart,
        compatibilityDate: version.compatibilityDate,
        compatibilityFlags: version.compatibilityFlags,
        bindings: version.bindings,
        services: Object.fromEntries(
          version.bindings
            .filter((b) => b.type === "service")
            .map((b) => [b.name, serviceHandler(svc, script.accountId, String(b.service))]),
        ),
        hyperdrives: Object.fromEntries(
          version.bindings
            .filter((b) => b.type === "hyperdrive")
            .map((b) => [b.name, hyperdriveConnectionString(store.state.hyperdriveConfigs[String(b.id)])]),
        ),
        assets: version.assets
          ? {
              directory: join(stateDir, siteDir(script.accountId, script.name, version.id)),
              config: version.assets.config,
              binding: assetsBinding?.name ?? null,
            }
          : null,
        persistDir: join(stateDir, dataDir(script.accountId)),
        queueConsumers: queueConsumersOf(store.state, script.accountId, script.name),
        queueForwarding: {
          url: `${baseUrl}/__emulator/queue-delivery/${script.accountId}`,
          queues: forwardedQueuesOf(store.state, script.accountId, script.name, version.bindings),
        },
      };
    },
  };

  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      await expireDueAccounts(svc);
    } finally {
      sweeping = false;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const began = performance.now();
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    const method = (req.method ?? "GET").toUpperCase();
    const hostHeader = req.headers.host ?? "";
    const body = await readBody(req);
    const record = (kind: RequestKind, status: number, path: string, fault?: LoggedRequest["fault"]) =>
      requestLog.add({
        kind,
        method,
        path: redactPath(path),
        query: Object.fromEntries(url.searchParams),
        status,
        at: new Date().toISOString(),
        handlerMs: Math.round((performance.now() - began) * 100) / 100,
        headers: redactHeaders(req.headers),
        ...(fault ? { fault } : {}),
      });
    const workersPath = parseWorkersPath(url.pathname + url.search);
    if (
      parseWorkersDevHost(hostHeader) ||
      isCustomDomain(svc, hostHeader) ||
      isSiteRequest(hostHeader, url.pathname)
    ) {
      await sweep();
      const status = await proxyToWorker(svc, req, res, {
        host: hostHeader,
        path: url.pathname + url.search,
        body,
      });
      record("worker", status, `//${hostHeader.replace(/:\d+$/, "")}${url.pathname}`);
      return;
    }
    if (workersPath) {
      await sweep();
      record("worker", await proxyToWorker(svc, req, res, { ...workersPath, body }), url.pathname);
      return;
    }
    await sweep();
    const kind = requestKind(url.pathname);
    const fault = kind === "admin" ? null : faults.take(method, url.pathname);
    if (fault?.action === "drop") {
      record(kind, 0, url.pathname, "drop");
      req.socket.destroy();
      return;
    }
    const out =
      fault?.action === "status"
        ? faultReply(kind, fault)
        : await dispatch(svc, requestLog, { method, url, headers: req.headers, body });
    if (fault?.action === "hang") {
      // The change is made; the caller never hears back (see faults.ts).
      record(kind, out.status, url.pathname, "hang");
      const release = faults.hold(() => res.destroy());
      res.on("close", release);
      return;
    }
    res.writeHead(out.status, out.headers).end(out.body);
    if (out.kind === "admin" && url.pathname.startsWith("/__emulator/requests")) return;
    record(out.kind, out.status, url.pathname, fault?.action);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error("[emulator] request failed", error);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          success: false,
          errors: [{ code: 10002, message: "Internal error" }],
          messages: [],
          result: null,
        }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, bindHost, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${bindHost === "0.0.0.0" || bindHost === "::" ? "127.0.0.1" : bindHost}:${port}`;
  const timer = setInterval(() => void sweep(), options.sweepIntervalMs ?? 1000);
  timer.unref();
  await sweep();

  return {
    url: baseUrl,
    apiBaseUrl: `${baseUrl}${API_PREFIX}`,
    stateDir,
    adminSecret,
    requestLog,
    runningWorkers: () => host.runningCount,
    localUrl: (publicUrl) => toLocalUrl(publicUrl, baseUrl),
    async close() {
      clearInterval(timer);
      faults.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await host.stopAll();
      await Promise.all([d1.closeAll(), kv.closeAll()]);
      store.save();
    },
  };
}
