/**
 * The Deployer contract against the test fake: temporary accounts and live
 * versions in the fake world, claims made through it.
 */
import { env } from "cloudflare:workers";
import { fakePorts } from "../support/fakes/ports.ts";
import { fakeSandboxes } from "../support/fakes/sandbox.ts";
import { FakeWorld, fakeCalls } from "../support/fakes/world.ts";
import { deployerContract } from "./deployer.contract.ts";

// The fake deploys again on a repeated key (a new version each time) and promotes without looking at the claim.
deployerContract("test fake", { gaps: ["deploys-a-repeated-key-again", "promotes-unclaimed"] }, async () => {
  const world = new FakeWorld(env.DB);
  const runId = `contract-deployer-${Date.now().toString(36)}`;
  return {
    deployer: fakePorts(env.DB).deployer,
    project: {
      runId,
      sandbox: fakeSandboxes(world).get(runId),
      workerName: "hello",
      config: "wrangler.jsonc",
    },
    uploads: async () => (await fakeCalls(env.DB, runId)).filter((c) => c.kind === "deploy").length,
    claim: (account) => world.claim(account.id, Date.now()),
    dispose: async () => {},
  };
});
