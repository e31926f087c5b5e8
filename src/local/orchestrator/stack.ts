/**
 * The whole local stack in one call: the Cloudflare API emulator, the Sandbox
 * host and the orchestrator under `wrangler dev`, wired together the way
 * `npm start` runs them. `npm start`, the end-to-end tests and the loop
 * benchmark all start it here, so they exercise the same wiring.
 *
 * The Sandbox host shows the project's `workflows/` read-only at
 * `/sources/workflows` (directory job sources) and its `node_modules` at
 * `/opt/nightshift/node_modules`, so the unmodified wrangler runs inside each
 * Sandbox (`SANDBOX_WRANGLER`).
 */
import { join } from "node:path";
import { type Emulator, startEmulator } from "../emulator/index.ts";
import { type SandboxHost, startSandboxHost } from "../sandbox-host/index.ts";
import { type DevServer, startDevServer } from "./dev-server.ts";

export const SANDBOX_TOOLS_DIR = "/opt/nightshift/node_modules";
export const SANDBOX_SOURCES_DIR = "/sources/workflows";

export interface LocalStackOptions {
  /** Project root: `wrangler.jsonc`, `workflows/`, `node_modules/`. */
  root: string;
  stateDir: string;
  /** The orchestrator's port; the emulator takes port + 1 and the Sandbox host port + 2 unless given. */
  port: number;
  emulatorPort?: number;
  sandboxPort?: number;
  token: string;
  /**
   * `local` (default): local mode, with the emulator's own terms signed off automatically.
   * `production`: the orchestrator runs as in production (legal sign-offs needed), still
   * pointed at the local emulator and Sandbox host.
   */
  mode?: "local" | "production";
  /** Temporary accounts' lifetime in the emulator (default 60 min). */
  accountLifetimeMs?: number;
  unsafeNoBwrap?: boolean;
  /** Each line wrangler dev prints (non-durable). */
  onLine?: (line: string) => void;
  /** Start-up lines of the Sandbox host. */
  log?: (line: string) => void;
  /** The emulator's own console lines ("provisioned …"). */
  emulatorLog?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  token: string;
  emulator: Emulator;
  sandboxes: SandboxHost;
  orchestrator: DevServer;
  /** Fires the sweeper (`scheduled`), as production's cron does every minute. */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

export class SandboxHostUnavailable extends Error {
  override readonly name = "SandboxHostUnavailable";
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const emulator = await startEmulator({
    port: options.emulatorPort ?? options.port + 1,
    host: "127.0.0.1",
    stateDir: join(options.stateDir, "emulator"),
    ...(options.accountLifetimeMs ? { accountLifetimeMs: options.accountLifetimeMs } : {}),
    ...(options.emulatorLog ? { log: options.emulatorLog } : {}),
  });
  const sandboxes = await startSandboxHost({
    port: options.sandboxPort ?? options.port + 2,
    stateDir: join(options.stateDir, "sandboxes"),
    unsafeNoBwrap: options.unsafeNoBwrap ?? false,
    readOnlyBinds: [
      { source: join(options.root, "workflows"), target: SANDBOX_SOURCES_DIR },
      { source: join(options.root, "node_modules"), target: SANDBOX_TOOLS_DIR },
    ],
    log,
  }).catch(async (error: unknown) => {
    await emulator.close();
    throw new SandboxHostUnavailable((error as Error).message);
  });
  const orchestrator = await startDevServer({
    cwd: options.root,
    config: "wrangler.jsonc",
    port: options.port,
    persistTo: join(options.stateDir, "state"),
    stateDir: join(options.stateDir, "wrangler"),
    vars: {
      NIGHTSHIFT_MODE: options.mode ?? "local",
      NIGHTSHIFT_TOKEN: options.token,
      CLOUDFLARE_API_BASE_URL: emulator.apiBaseUrl,
      SANDBOX_HOST_URL: sandboxes.url,
      EMULATOR_URL: emulator.url,
      SANDBOX_WRANGLER: `${SANDBOX_TOOLS_DIR}/wrangler/bin/wrangler.js`,
    },
    ...(options.onLine ? { onLine: options.onLine } : {}),
  }).catch(async (error: unknown) => {
    await Promise.allSettled([sandboxes.close(), emulator.close()]);
    throw error;
  });
  return {
    url: orchestrator.url,
    token: options.token,
    emulator,
    sandboxes,
    orchestrator,
    async sweep() {
      const response = await fetch(`${orchestrator.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);
      await response.body?.cancel();
    },
    async close() {
      await Promise.allSettled([orchestrator.stop(), sandboxes.close(), emulator.close()]);
    },
  };
}
