/**
 * The whole local stack in one call: the Cloudflare API emulator, the egress
 * proxy, the Sandbox host and the orchestrator under `wrangler dev`, wired
 * together the way `npm start` runs them. `npm start`, the end-to-end tests
 * and the benchmarks all start it here, so they exercise the same wiring.
 *
 * The egress proxy holds the model keys found in this process's own
 * environment (ANTHROPIC_API_KEY, OPENAI_API_KEY: the secrets named in
 * src/ports/egress-routes.ts) and a fresh admin secret for grants.
 * The orchestrator gets only the proxy's URL and that admin secret; no key
 * ever goes into wrangler dev's variables or a Sandbox.
 *
 * The Sandbox host shows the project's `workflows/` read-only at
 * `/sources/workflows` (directory job sources) and its `node_modules` at
 * `/opt/nightshift/node_modules`, so the unmodified wrangler runs inside each
 * Sandbox (`SANDBOX_WRANGLER`).
 */
import { join } from "node:path";
import { newSecret } from "../bearer-secret.ts";
import { refuseTakenPorts } from "../net.ts";
import type { EgressRoute } from "../../ports/egress-routes.ts";
import type { EgressProxy } from "../egress-proxy/index.ts";
import { type Emulator, startEmulator } from "../emulator/index.ts";
import { type SandboxHost, startSandboxHost } from "../sandbox-host/index.ts";
import { type DevServer, type DevServerOptions, startDevServer } from "./dev-server.ts";
import { startStackEgress, takeKeysFromEnvironment } from "./egress.ts";

export const SANDBOX_TOOLS_DIR = "/opt/nightshift/node_modules";
export const SANDBOX_SOURCES_DIR = "/sources/workflows";

export interface LocalStackOptions {
  /** Project root: `wrangler.jsonc`, `workflows/`, `node_modules/`. */
  root: string;
  stateDir: string;
  /**
   * The orchestrator's port; the emulator takes port + 1, the Sandbox host port + 2 and the
   * egress proxy port + 3 unless given.
   */
  port: number;
  emulatorPort?: number;
  sandboxPort?: number;
  egressPort?: number;
  /**
   * The egress proxy's routes and keys. Default: the real model APIs, with the keys this
   * process's environment holds. Tests point the routes at local model servers. The grant API's
   * admin secret is random per start unless given (tests that open grants themselves).
   */
  egress?: {
    routes?: readonly EgressRoute[];
    keys?: Record<string, string | undefined>;
    adminSecret?: string;
  };
  /**
   * The orchestrator's wrangler config, relative to `root` (default `wrangler.jsonc`). The agent
   * end-to-end tests pass a Worker that serves the real jobs plus test-only ones.
   */
  config?: string;
  token: string;
  /**
   * `local` (default): local mode, with the emulator's own terms signed off automatically.
   * `production`: the orchestrator runs as in production (legal sign-offs needed), still
   * pointed at the local emulator and Sandbox host.
   */
  mode?: "local" | "production";
  /**
   * Create the organisation's permanent account in the emulator and give the orchestrator its
   * id and token (CLOUDFLARE_ACCOUNT_ID / CLOUDFLARE_API_TOKEN): claims are then seen landing
   * there, DNS plans read its zones, and `promotion: "deploy"` deploys into it.
   */
  organisation?: { name: string };
  /** Temporary accounts' lifetime in the emulator (default 60 min). */
  accountLifetimeMs?: number;
  /** How long a deployed preview may serve nothing before its workerd stops (default 60 s; the emulator's `workerIdleMs`). */
  workerIdleMs?: number;
  unsafeNoBwrap?: boolean;
  /** Each line wrangler dev prints (non-durable). */
  onLine?: (line: string) => void;
  /** Start-up lines of the Sandbox host. */
  log?: (line: string) => void;
  /** The emulator's own console lines ("provisioned …"). */
  emulatorLog?: (line: string) => void;
  /** What the egress proxy refused, one line each (never a key or token). */
  egressLog?: (line: string) => void;
}

/**
 * The npm registry this stack was started against (`npm start` sets npm_config_registry) and
 * the public one: the hosts a job's `npm ci` may reach from a Sandbox, through the proxy.
 */
export function packageRegistryHosts(env: NodeJS.ProcessEnv = process.env): string[] {
  const hosts = new Set(["registry.npmjs.org"]);
  const configured = URL.parse(env.npm_config_registry ?? "")?.hostname;
  if (configured) hosts.add(configured);
  return [...hosts];
}

export interface OrganisationAccount {
  id: string;
  apiToken: string;
  subdomain: string;
}

/**
 * The start-up sweep: the local Workflows engine does not resume a step that a crash cut off,
 * so every run still marked running when the orchestrator starts is woken (replayed from its
 * cached steps; the cut-off step runs again under its idempotency key).
 */
async function sweepAfterRestart(url: string, token: string): Promise<void> {
  const response = await fetch(`${url}/api/sweep`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ afterRestart: true }),
  });
  await response.body?.cancel();
  if (response.status !== 200) throw new Error(`the start-up sweep failed: ${response.status}`);
}

/** Creates the organisation's permanent account in the emulator (its admin API). */
async function createOrganisation(emulator: Emulator, name: string): Promise<OrganisationAccount> {
  const response = await fetch(`${emulator.url}/__emulator/accounts`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${emulator.adminSecret}` },
    body: JSON.stringify({ name }),
  });
  if (response.status !== 200 && response.status !== 201)
    throw new Error(
      `the emulator refused the organisation account: ${response.status} ${await response.text()}`,
    );
  const body = (await response.json()) as OrganisationAccount & { result?: OrganisationAccount };
  return body.result ?? body;
}

export interface LocalStack {
  url: string;
  token: string;
  emulator: Emulator;
  sandboxes: SandboxHost;
  egress: EgressProxy;
  /**
   * The Sandbox host's bearer secret (random per start): the orchestrator gets it as the secret
   * SANDBOX_HOST_SECRET; tests use it for their own clients. Never logged, never on argv.
   */
  sandboxSecret: string;
  /** The emulator's admin secret (random per start), for `/__emulator/*`: the stack and tests only. */
  emulatorSecret: string;
  /** Which keys the egress proxy can add (names only). */
  egressKeys: string[];
  readonly orchestrator: DevServer;
  /** The organisation's account, when the stack was asked for one. */
  organisation: OrganisationAccount | null;
  /** Kills the orchestrator (SIGKILL, like a crash) and starts it again on the same state. */
  restartOrchestrator(): Promise<void>;
  /** Fires the sweeper (`scheduled`), as production's cron does every minute. */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

export class SandboxHostUnavailable extends Error {
  override readonly name = "SandboxHostUnavailable";
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  await refuseTakenPorts([
    { port: options.port, what: "the orchestrator" },
    { port: options.emulatorPort ?? options.port + 1, what: "the Cloudflare API emulator" },
    { port: options.sandboxPort ?? options.port + 2, what: "the Sandbox host" },
    { port: options.egressPort ?? options.port + 3, what: "the egress proxy" },
  ]);
  // Before anything is started, so no process of the stack inherits the keys.
  const keys = options.egress?.keys ?? takeKeysFromEnvironment(options.egress?.routes);
  // Per start: only the orchestrator (through its 0600 vars file) and the caller hold them.
  const sandboxSecret = newSecret();
  const emulatorSecret = newSecret();
  const emulator = await startEmulator({
    adminSecret: emulatorSecret,
    port: options.emulatorPort ?? options.port + 1,
    host: "127.0.0.1",
    stateDir: join(options.stateDir, "emulator"),
    ...(options.accountLifetimeMs ? { accountLifetimeMs: options.accountLifetimeMs } : {}),
    ...(options.workerIdleMs ? { workerIdleMs: options.workerIdleMs } : {}),
    ...(options.emulatorLog ? { log: options.emulatorLog } : {}),
  });
  const egress = await startStackEgress({
    port: options.egressPort ?? options.port + 3,
    keys,
    allowHosts: packageRegistryHosts(),
    ...(options.egress?.routes ? { routes: options.egress.routes } : {}),
    ...(options.egress?.adminSecret ? { adminSecret: options.egress.adminSecret } : {}),
    ...(options.egressLog ? { log: options.egressLog } : {}),
  }).catch(async (error: unknown) => {
    await emulator.close();
    throw error;
  });
  const sandboxes = await startSandboxHost({
    port: options.sandboxPort ?? options.port + 2,
    secret: sandboxSecret,
    stateDir: join(options.stateDir, "sandboxes"),
    unsafeNoBwrap: options.unsafeNoBwrap ?? false,
    readOnlyBinds: [
      { source: join(options.root, "workflows"), target: SANDBOX_SOURCES_DIR },
      { source: join(options.root, "node_modules"), target: SANDBOX_TOOLS_DIR },
    ],
    // Each Sandbox has a network of its own: the egress proxy is the only way out (the
    // Cloudflare API, model APIs, allowlisted hosts), at the same URL as on the host.
    gateways: [{ port: Number(new URL(egress.proxy.url).port) }],
    // Package managers (npm in a job's setup) reach the registry through the proxy's allowlist;
    // the proxy's own URL stays direct.
    env: {
      HTTPS_PROXY: egress.proxy.url,
      https_proxy: egress.proxy.url,
      NO_PROXY: "127.0.0.1,localhost",
      no_proxy: "127.0.0.1,localhost",
    },
    log,
  }).catch(async (error: unknown) => {
    await Promise.allSettled([egress.proxy.close(), emulator.close()]);
    throw new SandboxHostUnavailable((error as Error).message);
  });
  const organisation = options.organisation
    ? await createOrganisation(emulator, options.organisation.name).catch(async (error: unknown) => {
        await Promise.allSettled([sandboxes.close(), egress.proxy.close(), emulator.close()]);
        throw error;
      })
    : null;
  const devOptions: DevServerOptions = {
    cwd: options.root,
    config: options.config ?? "wrangler.jsonc",
    port: options.port,
    persistTo: join(options.stateDir, "state"),
    stateDir: join(options.stateDir, "wrangler"),
    vars: {
      NIGHTSHIFT_MODE: options.mode ?? "local",
      CLOUDFLARE_API_BASE_URL: emulator.apiBaseUrl,
      SANDBOX_HOST_URL: sandboxes.url,
      EMULATOR_URL: emulator.url,
      SANDBOX_WRANGLER: `${SANDBOX_TOOLS_DIR}/wrangler/bin/wrangler.js`,
      EGRESS_PROXY_URL: egress.proxy.url,
      ...(organisation ? { CLOUDFLARE_ACCOUNT_ID: organisation.id } : {}),
    },
    // Through a file only the owner can read, never wrangler's command line (dev-server.ts).
    secrets: {
      NIGHTSHIFT_TOKEN: options.token,
      SANDBOX_HOST_SECRET: sandboxSecret,
      // The grant API's admin secret; model keys stay in the proxy.
      EGRESS_PROXY_SECRET: egress.secret,
      // The organisation's own account (claims land there, DNS lives there): its token is a
      // secret of the orchestrator, as in production.
      ...(organisation ? { CLOUDFLARE_API_TOKEN: organisation.apiToken } : {}),
    },
    ...(options.onLine ? { onLine: options.onLine } : {}),
  };
  let orchestrator = await startDevServer(devOptions).catch(async (error: unknown) => {
    await Promise.allSettled([sandboxes.close(), egress.proxy.close(), emulator.close()]);
    throw error;
  });
  // State kept from an earlier start may hold runs a stop cut off mid-step.
  await sweepAfterRestart(orchestrator.url, options.token).catch(async (error: unknown) => {
    await Promise.allSettled([
      orchestrator.stop(),
      sandboxes.close(),
      egress.proxy.close(),
      emulator.close(),
    ]);
    throw error;
  });
  return {
    url: orchestrator.url,
    token: options.token,
    emulator,
    sandboxes,
    egress: egress.proxy,
    sandboxSecret,
    emulatorSecret,
    egressKeys: egress.keyNames,
    organisation,
    get orchestrator() {
      return orchestrator;
    },
    async restartOrchestrator() {
      // A hard kill, as a crash would: steps in flight are cut off mid-call.
      await orchestrator.kill();
      orchestrator = await startDevServer(devOptions);
      await sweepAfterRestart(orchestrator.url, options.token);
    },
    async sweep() {
      const response = await fetch(`${orchestrator.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);
      await response.body?.cancel();
    },
    async close() {
      await Promise.allSettled([
        orchestrator.stop(),
        sandboxes.close(),
        egress.proxy.close(),
        emulator.close(),
      ]);
    },
  };
}
