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
import { type Emulator, RequestLog, startEmulator } from "../emulator/index.ts";
import { type SandboxHost, startSandboxHost } from "../sandbox-host/index.ts";
import { type DevServer, type DevServerOptions, startDevServer } from "./dev-server.ts";
import { hostNetworkFromEnvironment, startStackEgress, takeKeysFromEnvironment } from "./egress.ts";
import { portOf, type StackService, stackService } from "./stack-service.ts";

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
  /**
   * Further plain variables for the orchestrator (e.g. `NOTIFY_WEBHOOK_URL`); the stack's own
   * wiring variables win over these. Never a secret: plain variables are on the dev server's argv.
   */
  orchestratorVars?: Record<string, string>;
  /** Temporary accounts' lifetime in the emulator (default 60 min). */
  accountLifetimeMs?: number;
  /** How long a deployed preview may serve nothing before its workerd stops (default 60 s; the emulator's `workerIdleMs`). */
  workerIdleMs?: number;
  unsafeNoBwrap?: boolean;
  /** Each whole line wrangler dev prints (non-durable), blank ones too (see dev-server.ts). */
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

/** The stack's four services, each of which can be killed and started again on its own. */
export interface StackServices {
  orchestrator: StackService<DevServer>;
  sandboxHost: StackService<SandboxHost>;
  emulator: StackService<Emulator>;
  egressProxy: StackService<EgressProxy>;
}

export interface LocalStack {
  url: string;
  token: string;
  /** The running emulator (a new instance after a restart; its request log carries over). */
  readonly emulator: Emulator;
  /** The running Sandbox host. */
  readonly sandboxes: SandboxHost;
  /** The running egress proxy. */
  readonly egress: EgressProxy;
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
  /**
   * Each service as a handle: `kill()` stops it at once (the orchestrator with SIGKILL), `start()`
   * brings it back on the same port, secrets and state; the others keep running meanwhile.
   */
  services: StackServices;
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
  // The host's upstream proxy and extra CAs: the egress proxy goes out through them, the
  // Sandboxes trust the CAs (docs/sandbox.md, "Behind a corporate proxy / TLS inspection").
  const hostNetwork = await hostNetworkFromEnvironment(process.env);
  // Per start: only the orchestrator (through its 0600 vars file) and the caller hold them.
  const sandboxSecret = newSecret();
  const emulatorSecret = newSecret();
  // One log across the emulator's restarts: what was asked of Cloudflare, in one sequence.
  const requestLog = new RequestLog();
  const launchEmulator = (port: number) =>
    startEmulator({
      adminSecret: emulatorSecret,
      port,
      host: "127.0.0.1",
      stateDir: join(options.stateDir, "emulator"),
      requestLog,
      ...(options.accountLifetimeMs ? { accountLifetimeMs: options.accountLifetimeMs } : {}),
      ...(options.workerIdleMs ? { workerIdleMs: options.workerIdleMs } : {}),
      ...(options.emulatorLog ? { log: options.emulatorLog } : {}),
    });
  const emulator = await launchEmulator(options.emulatorPort ?? options.port + 1);
  const launchEgress = (port: number, adminSecret?: string) =>
    startStackEgress({
      port,
      keys,
      allowHosts: packageRegistryHosts(),
      ...(options.egress?.routes ? { routes: options.egress.routes } : {}),
      ...(adminSecret ? { adminSecret } : {}),
      hostNetwork,
      ...(options.egressLog ? { log: options.egressLog } : {}),
    });
  const egress = await launchEgress(
    options.egressPort ?? options.port + 3,
    options.egress?.adminSecret,
  ).catch(async (error: unknown) => {
    await emulator.close();
    throw error;
  });
  const launchSandboxHost = (port: number) =>
    startSandboxHost({
      port,
      secret: sandboxSecret,
      stateDir: join(options.stateDir, "sandboxes"),
      unsafeNoBwrap: options.unsafeNoBwrap ?? false,
      readOnlyBinds: [
        { source: join(options.root, "workflows"), target: SANDBOX_SOURCES_DIR },
        { source: join(options.root, "node_modules"), target: SANDBOX_TOOLS_DIR },
      ],
      // Each Sandbox has a network of its own: the egress proxy is the only way out (the
      // Cloudflare API, model APIs, allowlisted hosts), at the same URL as on the host.
      gateways: [{ port: portOf(egress.proxy.url) }],
      caCertificates: hostNetwork.caCertificates,
      // Package managers (npm in a job's setup) reach the registry through the proxy's allowlist;
      // the proxy's own URL stays direct.
      env: {
        HTTPS_PROXY: egress.proxy.url,
        https_proxy: egress.proxy.url,
        NO_PROXY: "127.0.0.1,localhost",
        no_proxy: "127.0.0.1,localhost",
      },
      log,
    });
  const sandboxes = await launchSandboxHost(options.sandboxPort ?? options.port + 2).catch(
    async (error: unknown) => {
      await Promise.allSettled([egress.proxy.close(), emulator.close()]);
      throw new SandboxHostUnavailable((error as Error).message);
    },
  );
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
      ...options.orchestratorVars,
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
  // State kept from an earlier start may hold runs a stop cut off mid-step: every start sweeps.
  const launchOrchestrator = async (again = false) => {
    // Started again on the same state by this stack, it finds the migrations applied.
    const server = await startDevServer(again ? { ...devOptions, migrate: false } : devOptions);
    try {
      await sweepAfterRestart(server.url, options.token);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  };
  const orchestrator = await launchOrchestrator(false).catch(async (error: unknown) => {
    await Promise.allSettled([sandboxes.close(), egress.proxy.close(), emulator.close()]);
    throw error;
  });
  const services: StackServices = {
    // A hard kill, as a crash would: steps in flight are cut off mid-call.
    orchestrator: stackService("the orchestrator", orchestrator, {
      launch: () => launchOrchestrator(true),
      kill: (server) => server.kill(),
    }),
    // The in-process services close at once: connections in flight are cut, Sandbox commands
    // and deployed Workers' processes end; what they keep on disk stays for the next start.
    sandboxHost: stackService("the Sandbox host", sandboxes, {
      launch: () => launchSandboxHost(portOf(sandboxes.url)),
      kill: (host) => host.close(),
    }),
    emulator: stackService("the Cloudflare API emulator", emulator, {
      launch: () => launchEmulator(portOf(emulator.url)),
      kill: (running) => running.close(),
    }),
    // Same admin secret and keys: the orchestrator keeps talking to it as before. Grants it
    // held are gone; the step that held one opens another when it runs again.
    egressProxy: stackService("the egress proxy", egress.proxy, {
      launch: async () => (await launchEgress(portOf(egress.proxy.url), egress.secret)).proxy,
      kill: (proxy) => proxy.close(),
    }),
  };
  return {
    url: orchestrator.url,
    token: options.token,
    get emulator() {
      return services.emulator.current;
    },
    get sandboxes() {
      return services.sandboxHost.current;
    },
    get egress() {
      return services.egressProxy.current;
    },
    sandboxSecret,
    emulatorSecret,
    egressKeys: egress.keyNames,
    organisation,
    get orchestrator() {
      return services.orchestrator.current;
    },
    services,
    restartOrchestrator: () => services.orchestrator.restart(),
    async sweep() {
      const response = await fetch(`${orchestrator.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);
      await response.body?.cancel();
    },
    async close() {
      const stop = <T>(service: StackService<T>, how: (instance: T) => Promise<void>) =>
        service.running ? how(service.current) : Promise.resolve();
      await Promise.allSettled([
        stop(services.orchestrator, (server) => server.stop()),
        stop(services.sandboxHost, (host) => host.close()),
        stop(services.egressProxy, (proxy) => proxy.close()),
        stop(services.emulator, (running) => running.close()),
      ]);
    },
  };
}
