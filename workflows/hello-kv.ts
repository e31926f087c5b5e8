/**
 * The example job: a small Worker with a KV binding, changed by an agent,
 * deployed to a temporary account, probed, fixed until the probes pass, then
 * held at the claim gate for a human.
 */
import type { JobInput } from "../src/jobs/schema.ts";
import session from "./hello-kv/session.json";

export default {
  name: "hello-kv",
  description:
    "Add a visit counter to a tiny KV-backed Worker, deploy a preview, verify it, wait for a claim.",
  triggers: [{ kind: "manual" }, { kind: "schedule", cron: "0 2 * * *" }],
  source: { kind: "directory", path: "workflows/hello-kv/project" },
  setup: [],
  agent: {
    adapter: "replay",
    instructions: "Make GET /count increment a counter in KV and return it as JSON {count}.",
    // The recorded session replays offline: round 1 leaves a bug the probes catch, round 2 fixes it.
    options: { session },
  },
  deploy: { workerName: "hello-kv", config: "wrangler.jsonc", settle: "1s" },
  verify: {
    probes: [
      { name: "home answers", path: "/", expect: { status: 200, bodyContains: "hello" } },
      {
        name: "counter counts",
        path: "/count",
        expect: { status: 200, json: { type: "object", required: ["count"] } },
      },
    ],
    commands: [],
  },
  budgets: {
    maxIterations: 3,
    maxDeploys: 6,
    deadline: "30m",
    maxTokens: 200000,
    maxCostUsd: 2,
    maxSandboxMinutes: 30,
  },
  gates: {
    claim: { approvers: ["approver"], timeout: "24h" },
    tos: { approvers: ["legal"], timeout: "24h" },
  },
  promotion: "claim",
} satisfies JobInput;
