/**
 * The Sandbox contract against the local adapter → the real local host (a
 * child process running `nightshift sandbox-host`), real bubblewrap, real
 * overlay mounts; and once more with the copy fallback for snapshots.
 */
import { createLocalSandboxProvider } from "../../src/adapters/sandbox/local.ts";
import { hostSandboxes } from "./host-sandboxes.ts";
import { sandboxContract } from "./sandbox.contract.ts";

for (const mode of ["overlay", "copy"] as const) {
  sandboxContract(`local host, ${mode} snapshots`, { executes: true }, async () => {
    const { host, executes, dispose } = await hostSandboxes(mode, ["--snapshot-mode", mode]);
    return {
      provider: createLocalSandboxProvider({ url: host.url, secret: host.secret }),
      executes,
      dispose,
    };
  });
}
