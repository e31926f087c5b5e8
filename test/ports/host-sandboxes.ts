/**
 * What the Sandbox contract's executing runners share: a real local host (a child process,
 * real bubblewrap) with a secret in its environment, host files a Sandbox must not read, and
 * the crash and clean-up the contract asks for.
 */
import { mkdirSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  freePort,
  type HostProcess,
  removeStateDir,
  spawnHost,
  tempStateDir,
  writeHostFile,
} from "../local/sandbox-host/host-process.ts";
import type { ExecutingTarget } from "./sandbox.contract.ts";

export interface HostSandboxes {
  host: HostProcess;
  executes: ExecutingTarget;
  dispose(): Promise<void>;
}

export async function hostSandboxes(tag: string, args: string[] = []): Promise<HostSandboxes> {
  const stateDir = tempStateDir(`contract-${tag}`);
  const secret = { name: "NIGHTSHIFT_CONTRACT_SECRET", value: `s3cr3t-${Date.now()}` };
  const host = await spawnHost({ stateDir, args, env: { [secret.name]: secret.value } });
  const hostTmpFile = writeHostFile("/tmp", `nightshift-contract-${process.pid}-${tag}`, "host tmp");
  const outside = join(stateDir, "outside");
  mkdirSync(outside);
  return {
    host,
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
}
