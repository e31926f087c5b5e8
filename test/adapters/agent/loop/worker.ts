/**
 * The Worker of the agent loop test (test/adapters/agent/loop.node.test.ts), served by
 * `wrangler dev`: nightshift's real API and run Workflow; the Sandbox is the local host
 * (SANDBOX_HOST_URL), the agent is the real OpenAI-compatible adapter pointed at a scripted
 * model server (MODEL_BASE_URL), the verifier is the real one (a command check in the
 * Sandbox). Only the deployer is the test fake: the wrangler deployer is being built in
 * another issue. Test-only.
 */
import { putArtifact } from "../../../../src/store/artifacts.ts";
import { agentFor } from "../../../../src/adapters/agent/index.ts";
import { createLocalSandboxProvider } from "../../../../src/adapters/sandbox/local.ts";
import { createHttpVerifier } from "../../../../src/adapters/verify/http-verifier.ts";
import { createSite } from "../../../../src/site.ts";
import type { Env } from "../../../../src/env.ts";
import { buildRegistry, type JobFile } from "../../../../src/jobs/registry.ts";
import type { JobInput } from "../../../../src/jobs/schema.ts";
import { createRunWorkflow } from "../../../../src/run/workflow.ts";
import { fakePorts } from "../../../support/fakes/ports.ts";

type LoopEnv = Env & {
  SANDBOX_HOST_URL: string;
  SANDBOX_HOST_SECRET: string;
  MODEL_BASE_URL: string;
  OPENAI_API_KEY: string;
};

export const AGENT_LOOP_JOB = {
  name: "agent-loop",
  source: { kind: "directory", path: "test/adapters/agent/loop/project" },
  agent: {
    adapter: "openai",
    instructions: "Implement sum(a, b) in sum.mjs so that it returns a + b.",
    model: "gpt-4.1-mini",
    options: { maxSteps: 8 },
  },
  deploy: { workerName: "agent-loop" },
  verify: { commands: [{ name: "sum works", run: "node check.mjs" }] },
  budgets: { maxIterations: 3, maxDeploys: 6, deadline: "10m", maxTokens: 200_000, maxCostUsd: 1 },
  gates: { claim: { timeout: "1h" }, tos: { timeout: "1h" } },
} satisfies JobInput;

const jobFiles: JobFile[] = [{ file: "test/adapters/agent/loop/agent-loop.ts", definition: AGENT_LOOP_JOB }];
const app = createSite({ registry: buildRegistry(jobFiles) });

export const RunWorkflow = createRunWorkflow((env) => {
  const e = env as LoopEnv;
  const fakes = fakePorts(env.DB);
  return {
    ...fakes,
    sandboxes: createLocalSandboxProvider({ url: e.SANDBOX_HOST_URL, secret: e.SANDBOX_HOST_SECRET }),
    agentFor: (spec) =>
      agentFor(
        { ...spec, options: { ...spec.options, baseUrl: e.MODEL_BASE_URL } },
        { OPENAI_API_KEY: e.OPENAI_API_KEY },
        {
          saveArtifact: (artifact) => putArtifact(env.DB, artifact),
        },
      ),
    verifier: createHttpVerifier(),
  };
});

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
