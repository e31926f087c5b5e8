/**
 * The Worker under test: nightshift's real API, sweeper and run Workflow,
 * with the fake ports from `fakes/` and the test jobs from `fixtures/jobs`.
 * Also served by `wrangler dev` in the restart test.
 */
import { createApp } from "../../src/api/app.ts";
import { DEFAULT_SWEEP, sweep } from "../../src/control/sweeper.ts";
import type { Env } from "../../src/env.ts";
import { buildRegistry } from "../../src/jobs/registry.ts";
import { createRunWorkflow } from "../../src/run/workflow.ts";
import { testJobFiles } from "../fixtures/jobs/index.ts";
import { fakePorts } from "./fakes/ports.ts";
import { fakeCalls } from "./fakes/world.ts";

export const registry = buildRegistry(testJobFiles);
const app = createApp({ registry });

export const RunWorkflow = createRunWorkflow((env) => fakePorts(env.DB));

export default {
  async fetch(request, env, ctx) {
    // Test-only window into the fakes' world, for tests that drive this Worker over HTTP.
    const match = /^\/__test\/fake-calls\/([^/]+)$/.exec(new URL(request.url).pathname);
    if (match) return Response.json({ calls: await fakeCalls(env.DB, match[1]!) });
    return app.fetch(request, env, ctx);
  },
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweep(env, { now: Date.now(), ...DEFAULT_SWEEP }));
  },
} satisfies ExportedHandler<Env>;
