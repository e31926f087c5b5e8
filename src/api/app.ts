/**
 * The HTTP API: jobs, runs, events, gates, cancel and the sweeper. Handlers
 * validate at the edge, call `src/control` and `src/store`, and render errors
 * through one `onError`. Built by a factory so tests and local mode can give
 * it their own job registry and clock. Each feature mounts its own routes
 * (`*-routes.ts`); this file composes them behind authentication.
 */
import { Hono } from "hono";
import { z } from "zod";
import { DEFAULT_SWEEP, sweep } from "../control/sweeper.ts";
import type { Env } from "../env.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import type { Notifier } from "../ports/notifier.ts";
import { type AppEnv, authenticate, demand } from "../web/auth.ts";
import { ApiError } from "../web/errors.ts";
import { canView, hasRole } from "../web/roles.ts";
import { mountGateRoutes } from "./gate-routes.ts";
import { mountJobRoutes } from "./job-routes.ts";
import { mountPeopleRoutes } from "./people-routes.ts";
import { apiRequestGuard } from "./request-guard.ts";
import { mountRollbackRoutes } from "./rollback-routes.ts";
import { mountRunRoutes } from "./run-routes.ts";
import { mountSignoffRoutes } from "./signoff-routes.ts";
import { mountTriggerRoutes } from "./trigger-routes.ts";
import { jsonBody } from "./validate.ts";
import { createWebhooks } from "./webhooks.ts";

export interface AppOptions {
  registry: JobRegistry;
  now?: () => number;
  /** Who hears that a job paused itself (the Worker's Notifier port); none: only the audit log. */
  notifierFor?: (env: Env) => Notifier;
}

const sweepBody = z.strictObject({ afterRestart: z.boolean().optional() });

export function createApp(options: AppOptions) {
  const now = options.now ?? (() => Date.now());
  const { registry } = options;
  const app = new Hono<AppEnv>();

  app.onError((error, c) => {
    if (error instanceof ApiError) return error.toResponse();
    console.error("nightshift api: unhandled error", error instanceof Error ? error.stack : String(error));
    return c.json({ error: { code: "internal", message: "internal error" } }, 500);
  });
  app.notFound(() => new ApiError("not_found", "no such endpoint").toResponse());

  app.get("/health", (c) =>
    // Where each problem is, so a job file that does not compile is named with its line and column
    // while every other job keeps running (src/jobs/manifest.ts). The messages are for callers who
    // can read the jobs (`GET /api/jobs`): this route answers anyone.
    c.json({
      ok: true,
      jobs: registry.jobs.size,
      problems: registry.problems.map(({ file, path, line, column }) => ({ file, path, line, column })),
    }),
  );
  app.get("/", (c) => c.redirect("/inbox"));
  // Webhooks authenticate by signature, never by the API's credentials (src/api/webhooks.ts).
  app.route("/webhooks", createWebhooks({ registry, now, notifierFor: options.notifierFor }));
  // Not a form target: exact Origin, JSON bodies only (request-guard.ts), bearer credentials only (auth.ts).
  app.use("/api/*", apiRequestGuard());
  app.use("/api/*", authenticate(now));
  // Reading needs some role; every write below checks its own.
  app.use("/api/*", async (c, next) => {
    demand(c.get("principal"), canView(c.get("principal")), "read anything here (no role assigned)");
    await next();
  });
  app.get("/api/me", (c) => c.json({ me: c.get("principal") }));
  mountPeopleRoutes(app, { now });
  mountTriggerRoutes(app, { registry, now, notifierFor: options.notifierFor });
  mountRollbackRoutes(app, { registry, now });
  mountJobRoutes(app, { registry, now });
  mountRunRoutes(app, { registry, now });
  mountGateRoutes(app, { registry, now });
  mountSignoffRoutes(app, { now });

  app.post("/api/sweep", async (c) => {
    demand(c.get("principal"), hasRole(c.get("principal"), "admin"), "run the sweeper (needs admin)");
    // `afterRestart`: the engine just started, so a run still marked running or waiting may have
    // lost the step that was executing (the local engine does not resume a step cut off by a
    // crash, a gate's open and settle included): wake them all.
    const body = await jsonBody(c, sweepBody);
    const stall = body.afterRestart ? { afterRestart: true } : {};
    return c.json(
      await sweep(c.env, { now: now(), ...DEFAULT_SWEEP, ...stall, notifier: options.notifierFor?.(c.env) }),
    );
  });

  return app;
}
