/**
 * The Sandbox contract against the local adapter → the real local host (a
 * child process running `nightshift sandbox-host`), real bubblewrap, real
 * overlay mounts; and once more with the copy fallback for snapshots.
 */
import { mkdirSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createLocalSandboxProvider } from "../../src/adapters/sandbox/local.ts";
import {
  freePort,
  removeStateDir,
  spawnHost,
  tempStateDir,
  writeHostFile,
} from "../local/sandbox-host/host-process.ts";
import { sandboxContract } from "./sandbox.contract.ts";

for (const mode of ["overlay", "copy"] as const) {
  sandboxContract(`local host, ${mode} snapshots`, { executes: true }, async () => {
    const stateDir = tempStateDir(`contract-${mode}`);
    const secret = { name: "NIGHTSHIFT_CONTRACT_SECRET", value: `s3cr3t-${Date.now()}` };
    const host = await spawnHost({
      stateDir,
      args: ["--snapshot-mode", mode],
      env: { [secret.name]: secret.value },
    });
    const hostTmpFile = writeHostFile("/tmp", `nightshift-contract-${process.pid}-${mode}`, "host tmp");
    const outside = join(stateDir, "outside");
    mkdirSync(outside);
    return {
      provider: createLocalSandboxProvider({ url: host.url, secret: host.secret }),
      executes: {
        hostEnv: secret,
        hostFilesOutside: [
          join(import.meta.dirname, "..", "..", "package.json"), // the checkout
          hostTmpFile, // host /tmp
          writeHostFile(outside, "secret.txt", "the host's"), // next to the Sandbox's own state
          join(homedir(), ".npmrc"), // the host user's npm credentials
        ],
        crash: async () => {
          await host.kill();
          await host.restart();
        },
        freePort,
      },
      dispose: async () => {
        await host.stop();
        removeStateDir(stateDir);
        rmSync(hostTmpFile, { force: true });
      },
    };
  });
}
