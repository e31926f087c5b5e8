/**
 * The crash harness's orchestrator Worker: nightshift's own Worker (src/worker.ts: its run
 * Workflow, wiring and sweeper, unchanged) serving the shipped jobs plus ./jobs.ts.
 */
import { createSite } from "../../../src/site.ts";
import type { Env } from "../../../src/env.ts";
import { buildRegistry } from "../../../src/jobs/registry.ts";
import nightshift from "../../../src/worker.ts";
import { portsFor } from "../../../src/wiring.ts";
import { jobFiles } from "../../../workflows/index.ts";
import crashRefO from "./crash-ref-o.ts";
import crashRefS from "./crash-ref-s.ts";
import crashOA from "./crash-o-a.ts";
import crashOB from "./crash-o-b.ts";
import crashOC from "./crash-o-c.ts";
import crashRunS from "./crash-run-s.ts";

export { RunWorkflow } from "../../../src/worker.ts";

const registry = buildRegistry([
  ...jobFiles,
  { file: "test/e2e/crash/crash-ref-o.ts", definition: crashRefO },
  { file: "test/e2e/crash/crash-o-a.ts", definition: crashOA },
  { file: "test/e2e/crash/crash-o-b.ts", definition: crashOB },
  { file: "test/e2e/crash/crash-o-c.ts", definition: crashOC },
  { file: "test/e2e/crash/crash-ref-s.ts", definition: crashRefS },
  { file: "test/e2e/crash/crash-run-s.ts", definition: crashRunS },
]);
const app = createSite({ registry, notifierFor: (env: Env) => portsFor(env).notifier });

export default {
  fetch: app.fetch,
  scheduled: nightshift.scheduled,
} satisfies ExportedHandler<Env>;
