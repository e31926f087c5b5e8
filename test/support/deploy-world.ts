/**
 * The real parts a deploy adapter test runs against, started together: the Cloudflare API
 * emulator, the egress proxy (the only way out of a Sandbox) and the bubblewrap Sandbox host,
 * with the repository's job projects at `/sources/workflows` and its `node_modules` (nightshift's
 * wrangler) at `TOOLS`, both read-only, as the local stack binds them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EgressProxy, startEgressProxy } from "../../src/local/egress-proxy/index.ts";
import { type Emulator, startEmulator } from "../../src/local/emulator/index.ts";
import { type SandboxHost, startSandboxHost } from "../../src/local/sandbox-host/index.ts";

const ROOT = join(import.meta.dirname, "..", "..");
/** Where nightshift's own node_modules (and so its wrangler) are inside a Sandbox. */
export const TOOLS = "/opt/nightshift/node_modules";

export interface DeployWorld {
  dir: string;
  emu: Emulator;
  proxy: EgressProxy;
  host: SandboxHost;
  close(): Promise<void>;
}

/** Starts the three in a scratch directory named after `prefix`; the proxy's admin secret is `adminSecret`. */
export async function startDeployWorld(prefix: string, adminSecret: string): Promise<DeployWorld> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const emu = await startEmulator({ port: 0, stateDir: join(dir, "emulator"), log: () => {} });
  const proxy = await startEgressProxy({ keys: {}, adminSecret });
  const host = await startSandboxHost({
    port: 0,
    gateways: [{ port: Number(new URL(proxy.url).port) }],
    stateDir: join(dir, "sandboxes"),
    log: () => {},
    readOnlyBinds: [
      { source: join(ROOT, "workflows"), target: "/sources/workflows" },
      { source: join(ROOT, "node_modules"), target: TOOLS },
    ],
  });
  return {
    dir,
    emu,
    proxy,
    host,
    async close() {
      await host.close();
      await proxy.close();
      await emu.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
