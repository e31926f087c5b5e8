/**
 * The nightshift Worker: the HTTP API (fetch), the sweeper (scheduled) and the
 * run Workflow class. Wiring only; behaviour lives in the modules it names.
 */
import { jobFiles } from "../workflows/index.ts";
import { createApp } from "./api/app.ts";
import { DEFAULT_SWEEP, sweep } from "./control/sweeper.ts";
import type { Env } from "./env.ts";
import { buildRegistry } from "./jobs/registry.ts";
import { createRunWorkflow } from "./run/workflow.ts";
import { portsFor } from "./wiring.ts";

const registry = buildRegistry(jobFiles);
const app = createApp({ registry });

export const RunWorkflow = createRunWorkflow(portsFor);

export default {
  fetch: app.fetch,
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweep(env, { now: Date.now(), ...DEFAULT_SWEEP }).then((r) => logSweep(r)));
  },
} satisfies ExportedHandler<Env>;

function logSweep(report: Awaited<ReturnType<typeof sweep>>): void {
  const n = report.expiredGates.length + report.redelivered.length + report.woken.length;
  if (n) console.log(`nightshift sweep: ${JSON.stringify(report)}`);
}
