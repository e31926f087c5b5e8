/**
 * The orchestrator Worker of the agent end-to-end test and the agents benchmark: nightshift's
 * own Worker (src/worker.ts: its run Workflow, wiring and sweeper, unchanged) serving the
 * shipped jobs plus the test-only `hello-kv-openai`. The local stack runs it instead of
 * `wrangler.jsonc` when given `config: EXAMPLE_OPENAI_CONFIG` (see ./index.ts), so test jobs
 * never reach the shipped job manifest.
 */
import { createSite } from "../../../../src/site.ts";
import type { Env } from "../../../../src/env.ts";
import { buildRegistry } from "../../../../src/jobs/registry.ts";
import nightshift from "../../../../src/worker.ts";
import { portsFor } from "../../../../src/wiring.ts";
import { jobFiles } from "../../../../workflows/index.ts";
import helloKvOpenai from "./hello-kv-openai.ts";

export { RunWorkflow } from "../../../../src/worker.ts";

const registry = buildRegistry([
  ...jobFiles,
  { file: "test/adapters/agent/example-openai/hello-kv-openai.ts", definition: helloKvOpenai },
]);
const app = createSite({ registry, notifierFor: (env: Env) => portsFor(env).notifier });

export default {
  fetch: app.fetch,
  // The sweeper and schedules as shipped (the test job has no schedule of its own).
  scheduled: nightshift.scheduled,
} satisfies ExportedHandler<Env>;
