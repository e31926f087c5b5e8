/**
 * The Sandbox contract against the Cloudflare adapter, its SDK calls carried
 * out by a stand-in container (cloudflare-container.ts) over a real local
 * host, and its snapshot index in an in-memory bucket.
 */
import { createCloudflareSandboxProvider } from "../../src/adapters/sandbox/cloudflare.ts";
import type { CloudflareSandboxStub } from "../../src/adapters/sandbox/cloudflare-stub.ts";
import { createLocalSandboxProvider } from "../../src/adapters/sandbox/local.ts";
import { hostSandboxes } from "./host-sandboxes.ts";
import { containerStub, memoryBucket } from "./cloudflare-container.ts";
import { sandboxContract } from "./sandbox.contract.ts";

sandboxContract(
  "Cloudflare adapter over a stand-in container",
  // The adapter answers `status()` from its marker alone and always says "awake".
  { executes: true, gaps: ["status-absent-after-destroy"] },
  async () => {
    const { host, executes, dispose } = await hostSandboxes("cf");
    const containers = createLocalSandboxProvider({ url: host.url, secret: host.secret });
    const stubs = new Map<string, CloudflareSandboxStub>();
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
      executes,
      dispose,
    };
  },
);
