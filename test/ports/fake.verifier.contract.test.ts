/**
 * The Verifier contract against the test fake: it fails exactly when the fake
 * agent left /workspace/BUG in the run's fake Sandbox.
 */
import { env } from "cloudflare:workers";
import { probeSchema } from "../../src/jobs/schema.ts";
import { fakePorts } from "../support/fakes/ports.ts";
import { verifierContract } from "./verifier.contract.ts";

// The fake stands for any job's checks with one of its own (the BUG file), whatever the job declares.
verifierContract("test fake", { gaps: ["ignores-declared-checks"] }, async () => {
  const ports = fakePorts(env.DB);
  return {
    verifier: ports.verifier,
    arrange: async (outcome, runId) => {
      const sandbox = ports.sandboxes.get(runId);
      if (outcome === "fail") await sandbox.writeFile("/workspace/BUG", "left by the agent");
      return {
        url: `https://${runId}.fake.test`,
        probes: [probeSchema.parse({ path: "/" }), probeSchema.parse({ path: "/health" })],
        commands: [],
        sandbox,
      };
    },
    dispose: async () => {},
  };
});
