/**
 * The nightshift Worker: the HTTP API and webhooks (fetch), the sweeper and
 * the job schedules (scheduled), and the run Workflow class. Wiring only;
 * behaviour lives in the modules it names.
 */
import { jobFiles } from "../workflows/index.ts";
import { createSite } from "./site.ts";
import { describeScheduled, onScheduled } from "./control/scheduled.ts";
import type { Env } from "./env.ts";
import { buildRegistry } from "./jobs/registry.ts";
import { createRunWorkflow } from "./run/workflow.ts";
import { portsFor } from "./wiring.ts";

const registry = buildRegistry(jobFiles);
const notifierFor = (env: Env) => portsFor(env).notifier;
const app = createSite({ registry, notifierFor });

// The Sandbox container class the `containers` entry in wrangler.jsonc runs (with outbound
// interception adding credentials), and the SDK's entrypoint that dispatches intercepted requests.
// Both come from the adapter, the one module that imports `@cloudflare/sandbox` at runtime.
export { ContainerProxy, Sandbox } from "./adapters/sandbox/cloudflare-binding.ts";

export const RunWorkflow = createRunWorkflow(portsFor);

export default {
  fetch: app.fetch,
  scheduled(controller, env, ctx) {
    ctx.waitUntil(
      onScheduled(env, {
        registry,
        scheduledTime: controller.scheduledTime,
        notifier: notifierFor(env),
      }).then((report) => {
        const line = describeScheduled(report);
        if (line) console.log(line);
      }),
    );
  },
} satisfies ExportedHandler<Env>;
