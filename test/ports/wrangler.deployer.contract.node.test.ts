/**
 * The Deployer contract against the wrangler --temporary deployer: the pinned
 * wrangler runs in a Sandbox of the local host and deploys the example job's
 * Worker to the local Cloudflare API emulator through the real egress proxy.
 * The sign-off, log store and account vault are the adapter's injected
 * functions (D1 in the Worker), here in memory.
 */
import { createWranglerDeployer, type HeldAccount } from "../../src/adapters/deploy/wrangler-temporary.ts";
import { deployRetryWithin } from "../../src/adapters/deploy/wrangler-step.ts";
import { stepPolicy } from "../../src/run/step-policy.ts";
import { createLocalSandboxProvider } from "../../src/adapters/sandbox/local.ts";
import { startDeployWorld, TOOLS } from "../support/deploy-world.ts";
import { deployerContract } from "./deployer.contract.ts";

const ADMIN = "deployer-contract-admin-secret";
const RUN = "deployer-contract-run";

deployerContract("wrangler --temporary, local Sandbox and emulator", { builds: true }, async () => {
  const world = await startDeployWorld("nightshift-deployer-contract", ADMIN);
  const { emu, proxy, host } = world;
  const sandbox = createLocalSandboxProvider({ url: host.url, secret: host.secret }).get(RUN);
  const copied = await sandbox.exec(["cp", "-a", "/sources/workflows/hello-kv/project/.", "/workspace/"]);
  if (copied.exitCode !== 0) throw new Error(`could not copy the project: ${copied.stderr}`);
  const vault = new Map<string, HeldAccount>();
  return {
    deployer: createWranglerDeployer({
      apiBase: emu.apiBaseUrl,
      wrangler: ["node", `${TOOLS}/wrangler/bin/wrangler.js`],
      findSignoff: async () => ({ id: "tos-contract", signedBy: "legal-1", automatic: false }),
      putLog: async (log) => log.ref,
      emulatorUrl: emu.url,
      grants: { EGRESS_PROXY_URL: proxy.url, EGRESS_PROXY_SECRET: ADMIN },
      retry: deployRetryWithin(stepPolicy("deploy").timeout),
      // As production wires it: the token of the account the run holds, never another's.
      accountToken: async ({ runId, accountId }) => {
        const held = vault.get(runId);
        return held?.id === accountId ? held.apiToken : null;
      },
      accounts: {
        held: async (runId) => vault.get(runId) ?? null,
        hold: async (runId, account) => void vault.set(runId, account),
      },
    }),
    project: { runId: RUN, sandbox, workerName: "hello-kv", config: "wrangler.jsonc" },
    uploads: async () =>
      emu.requestLog
        .list({ path: "/workers/scripts/hello-kv", kind: "api" })
        .filter((e) => e.method !== "GET").length,
    claim: async (account) => {
      const claimed = await fetch(account.claimUrl, { method: "POST" });
      if (claimed.status !== 200) throw new Error(`claim refused: ${claimed.status}`);
    },
    breakBuild: async () => {
      const snap = await sandbox.snapshot({ name: "buildable" });
      await sandbox.writeFile("/workspace/src/index.ts", "export default { fetch( { \n");
      return { undo: () => sandbox.restore(snap.id) };
    },
    dispose: () => world.close(),
  };
});
