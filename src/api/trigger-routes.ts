/**
 * API routes for a job's triggers: pause and resume its schedules and
 * webhooks, fire its schedule now, and read its audit log, its queue and the
 * webhook deliveries. Mounted on the app behind its authentication; changing
 * anything needs an operator (approver or admin).
 */
import type { Context, Hono } from "hono";
import { z } from "zod";
import { setJobPaused } from "../control/auto-pause.ts";
import { fireSchedule } from "../control/schedules.ts";
import type { Env } from "../env.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import type { Job } from "../jobs/schema.ts";
import type { Notifier } from "../ports/notifier.ts";
import { listDeliveries } from "../store/deliveries.ts";
import { listJobEvents } from "../store/job-events.ts";
import { type JobStateRow, listJobStates } from "../store/job-state.ts";
import { listQueue } from "../store/run-queue.ts";
import { getRun } from "../store/runs.ts";
import { type AppEnv, demand } from "../web/auth.ts";
import { ApiError } from "../web/errors.ts";
import { canOperate } from "../web/roles.ts";
import { jsonBody, query } from "./validate.ts";
import { runView } from "./views.ts";

export interface TriggerRouteOptions {
  registry: JobRegistry;
  now: () => number;
  notifierFor?: ((env: Env) => Notifier) | undefined;
}

const pauseBody = z.strictObject({ reason: z.string().max(2_000).optional() });
const afterQuery = z.strictObject({ after: z.coerce.number().int().min(0).default(0) });
const deliveriesQuery = z.strictObject({
  source: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** A job's pause state as the API shows it (a job with no row was never paused). */
export function jobStateView(state: JobStateRow | null | undefined) {
  return {
    paused: state?.paused ?? false,
    pausedAt: state?.paused ? state.paused_at : null,
    pausedBy: state?.paused ? state.paused_by : null,
    pauseReason: state?.paused ? state.pause_reason : null,
    resumedAt: state?.resumed_at ?? null,
  };
}

/** Every job's pause state by name, for the job list. */
export async function jobStates(db: D1Database): Promise<Map<string, ReturnType<typeof jobStateView>>> {
  return new Map((await listJobStates(db)).map((s) => [s.job, jobStateView(s)]));
}

export function mountTriggerRoutes(app: Hono<AppEnv>, options: TriggerRouteOptions): void {
  const { now } = options;
  const jobOf = (c: Context<AppEnv>): Job => {
    const job = options.registry.jobs.get(c.req.param("name") ?? "");
    if (!job) throw new ApiError("not_found", `no job named "${c.req.param("name")}"`, "name");
    return job;
  };

  for (const action of ["pause", "resume"] as const) {
    app.post(`/api/jobs/:name/${action}`, async (c) => {
      const job = jobOf(c);
      const me = c.get("principal");
      demand(me, canOperate(me), `${action} jobs (needs approver or admin)`);
      const body = await jsonBody(c, pauseBody);
      const result = await setJobPaused(c.env.DB, {
        job: job.name,
        paused: action === "pause",
        by: me.identity,
        reason: body.reason ?? null,
        at: now(),
      });
      return c.json({ job: job.name, changed: result.changed, ...jobStateView(result.state) });
    });
  }

  app.post("/api/jobs/:name/schedule/fire", async (c) => {
    const job = jobOf(c);
    const me = c.get("principal");
    demand(me, canOperate(me), "fire schedules (needs approver or admin)");
    await jsonBody(c, z.strictObject({}));
    const outcome = await fireSchedule(c.env, {
      job,
      now: now(),
      by: me.identity,
      notifier: options.notifierFor?.(c.env),
    });
    if (!outcome) throw new ApiError("no_schedule", `job ${job.name} has no schedule trigger`, "name");
    if (outcome.outcome === "unavailable")
      throw new ApiError("unavailable", `could not start the run: ${outcome.message}`);
    const run = await getRun(c.env.DB, outcome.runId);
    return c.json(
      { ...outcome, ...(run ? { run: runView(run) } : {}) },
      outcome.outcome === "started" ? 201 : 200,
    );
  });

  app.get("/api/jobs/:name/events", async (c) => {
    const job = jobOf(c);
    const q = query(c, afterQuery);
    const events = await listJobEvents(c.env.DB, job.name, q.after);
    return c.json({
      events: events.map((e) => ({
        seq: e.seq,
        type: e.type,
        actor: e.actor,
        runId: e.run_id,
        data: e.data_json,
        at: e.at,
      })),
    });
  });

  app.get("/api/jobs/:name/queue", async (c) => {
    const job = jobOf(c);
    const queue = await listQueue(c.env.DB, job.name);
    return c.json({
      queue: queue.map((q) => ({
        runId: q.run_id,
        trigger: q.trigger,
        actor: q.actor,
        queuedAt: q.queued_at,
        details: q.details_json,
      })),
    });
  });

  app.get("/api/deliveries", async (c) => {
    const q = query(c, deliveriesQuery);
    const deliveries = await listDeliveries(c.env.DB, {
      limit: q.limit,
      ...(q.source ? { source: q.source } : {}),
    });
    return c.json({
      deliveries: deliveries.map((d) => ({
        source: d.source,
        id: d.delivery_id,
        event: d.event,
        runs: d.runs_json,
        receivedAt: d.received_at,
      })),
    });
  });
}
