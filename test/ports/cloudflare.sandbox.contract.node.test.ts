/**
 * The Sandbox contract against the Cloudflare adapter, its SDK calls carried
 * out by a stand-in container (cloudflare-container.ts) over a real local
 * host, and its snapshot index in an in-memory bucket.
 */
import { rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createCloudflareSandboxProvider } from "../../src/adapters/sandbox/cloudflare.ts";
import type { CloudflareSandboxStub } from "../../src/adapters/sandbox/cloudflare-stub.ts";
import { createLocalSandboxProvider } from "../../src/adapters/sandbox/local.ts";
import {
  freePort,
  removeStateDir,
  spawnHost,
  tempStateDir,
  writeHostFile,
} from "../local/sandbox-host/host-process.ts";
import { containerStub, memoryBucket } from "./cloudflare-container.ts";
import { sandboxContract } from "./sandbox.contract.ts";

sandboxContract(
  "Cloudflare adapter over a stand-in container",
  // The adapter answers `status()` from its marker alone and always says "awake".
  { executes: true, gaps: ["status-absent-after-destroy"] },
  async () => {
    const stateDir = tempStateDir("contract-cloudflare");
    const secret = { name: "NIGHTSHIFT_CONTRACT_SECRET", value: `s3cr3t-${Date.now()}` };
    const host = await spawnHost({ stateDir, env: { [secret.name]: secret.value } });
    const containers = createLocalSandboxProvider({ url: host.url, secret: host.secret });
    const stubs = new Map<string, CloudflareSandboxStub>();
    const hostTmpFile = writeHostFile("/tmp", `nightshift-contract-${process.pid}-cf`, "host tmp");
    return {
      provider: createCloudflareSandboxProvider({
        resolve: (name) => {
          const stub = stubs.get(name) ?? containerStub(containers.get(name));
          stubs.set(name, stub);
          return stub;
        },
        hostname: "nightshift.example.com",
        index: memoryBucket(),
      }),
      executes: {
        hostEnv: secret,
        hostFilesOutside: [
          join(import.meta.dirname, "..", "..", "package.json"),
          hostTmpFile,
          join(homedir(), ".npmrc"),
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
  },
);
