/**
 * The orchestrator Worker of the DNS end-to-end test: nightshift's own Worker (src/worker.ts:
 * its run Workflow, wiring and sweeper, unchanged) serving the shipped jobs plus ./dns-claim.ts and ./dns-deploy.ts.
 */
import { createSite } from "../../../src/site.ts";
import type { Env } from "../../../src/env.ts";
import { buildRegistry } from "../../../src/jobs/registry.ts";
import nightshift from "../../../src/worker.ts";
import { portsFor } from "../../../src/wiring.ts";
import { jobFiles } from "../../../workflows/index.ts";
import dnsClaim from "./dns-claim.ts";
import dnsDeploy from "./dns-deploy.ts";

export { RunWorkflow } from "../../../src/worker.ts";

const registry = buildRegistry([
  ...jobFiles,
  { file: "test/e2e/dns/dns-claim.ts", definition: dnsClaim },
  { file: "test/e2e/dns/dns-deploy.ts", definition: dnsDeploy },
]);
const app = createSite({ registry, notifierFor: (env: Env) => portsFor(env).notifier });

export default {
  fetch: app.fetch,
  scheduled: nightshift.scheduled,
} satisfies ExportedHandler<Env>;
