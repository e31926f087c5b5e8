/**
 * The Worker under test: nightshift's real API, sweeper and run Workflow,
 * with the fake ports from `fakes/` and the test jobs from `fixtures/jobs`.
 * Also served by `wrangler dev` in the restart test.
 */
import { createSite } from "../../src/site.ts";
import { onScheduled } from "../../src/control/scheduled.ts";
import type { Env } from "../../src/env.ts";
import { buildRegistry } from "../../src/jobs/registry.ts";
import { putArtifact } from "../../src/store/artifacts.ts";
import { createRunWorkflow } from "../../src/run/workflow.ts";
import { notifierFor as configuredNotifier } from "../../src/wiring.ts";
import { testJobFiles } from "../fixtures/jobs/index.ts";
import { fakePorts } from "./fakes/ports.ts";
import { fakeCalls } from "./fakes/world.ts";

export const registry = buildRegistry(testJobFiles);
const notifierFor = (env: Env) => fakePorts(env.DB).notifier;
const app = createSite({ registry, notifierFor });

// With NOTIFY_WEBHOOK_URL set (test/e2e/notify.test.ts), notifications go out through the real webhook notifier.
export const RunWorkflow = createRunWorkflow(
  (env) => {
    const ports = fakePorts(env.DB);
    const url = env.NOTIFY_WEBHOOK_URL;
    return url ? { ...ports, notifier: configuredNotifier(env) } : ports;
  },
  {
    // TEST_STEP_RETRY_DELAY_MS (a var of a test's own stack, test/cli): an outage outlasts a
    // step's retries in seconds instead of ten minutes, so a run fails on infrastructure for real.
    tunePolicy: (env, policy) => {
      const delay = Number((env as unknown as Record<string, unknown>).TEST_STEP_RETRY_DELAY_MS ?? 0);
      return delay > 0 ? { ...policy, retries: { ...policy.retries, delay } } : policy;
    },
  },
);

export default {
  async fetch(request, env, ctx) {
    // Test-only window into the fakes' world, for tests that drive this Worker over HTTP.
    const match = /^\/__test\/fake-calls\/([^/]+)$/.exec(new URL(request.url).pathname);
    if (match) return Response.json({ calls: await fakeCalls(env.DB, match[1]!) });
    // Test-only: rewrite a stored artifact, as a re-run of a step would (the inbox's stale-view test).
    const artifact = /^\/__test\/artifacts\/(.+)$/.exec(new URL(request.url).pathname);
    if (artifact && request.method === "PUT") {
      const ref = decodeURIComponent(artifact[1]!);
      // With ?run=&kind=: record a new one, as the diffing agent would (test/cli/run-views.test.ts).
      const query = new URL(request.url).searchParams;
      const [runId, kind] = [query.get("run"), query.get("kind")];
      if (runId && kind) {
        await putArtifact(env.DB, { ref, runId, kind, body: await request.text(), at: Date.now() });
        return new Response(null, { status: 204 });
      }
      await env.DB.prepare("UPDATE artifacts SET body = ?2 WHERE ref = ?1")
        .bind(ref, await request.text())
        .run();
      return new Response(null, { status: 204 });
    }
    return app.fetch(request, env, ctx);
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(
      onScheduled(env, { registry, scheduledTime: controller.scheduledTime, notifier: notifierFor(env) }),
    );
  },
} satisfies ExportedHandler<Env>;
