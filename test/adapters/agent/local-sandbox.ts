/**
 * Node-side helper for the agent tests: the real local Sandbox host
 * (bubblewrap, overlay snapshots) in this process, on a temporary state dir,
 * and a fresh Sandbox per test. Needs root and bwrap, like the host's own tests.
 */
import { createLocalSandboxProvider } from "../../../src/adapters/sandbox/local.ts";
import {
  type SandboxHost,
  type SandboxHostOptions,
  startSandboxHost,
} from "../../../src/local/sandbox-host/index.ts";
import type { Sandbox, SandboxProvider } from "../../../src/ports/sandbox.ts";
import { removeStateDir, tempStateDir } from "../../local/sandbox-host/host-process.ts";

export interface LocalSandboxes {
  host: SandboxHost;
  provider: SandboxProvider;
  /** A new, empty Sandbox with these files in /workspace. */
  fresh(files?: Record<string, string>): Promise<Sandbox>;
  close(): Promise<void>;
}

let counter = 0;

export async function startLocalSandboxes(
  prefix: string,
  options: Omit<SandboxHostOptions, "port" | "stateDir" | "log"> = {},
): Promise<LocalSandboxes> {
  const stateDir = tempStateDir(prefix);
  const host = await startSandboxHost({ ...options, port: 0, stateDir, log: () => {} });
  const provider = createLocalSandboxProvider({ url: host.url, secret: host.secret });
  return {
    host,
    provider,
    async fresh(files = {}) {
      counter += 1;
      const sandbox = provider.get(`${prefix}-${process.pid}-${counter}`);
      for (const [path, content] of Object.entries(files))
        await sandbox.writeFile(`/workspace/${path}`, content);
      return sandbox;
    },
    async close() {
      await host.close();
      removeStateDir(stateDir);
    },
  };
}
