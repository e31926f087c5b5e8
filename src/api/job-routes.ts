/**
 * Jobs over the API: the registry's jobs with their trigger states, and
 * starting a run of one by hand (approver or admin).
 */
import type { Hono } from "hono";
import { z } from "zod";
import { newRunId, startRun } from "../control/start.ts";
import { plainTrigger } from "../jobs/plain.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import { runIdSchema } from "../jobs/run-params.ts";
import { getRun } from "../store/runs.ts";
import { type AppEnv, demand } from "../web/auth.ts";
import { ApiError } from "../web/errors.ts";
import { canOperate } from "../web/roles.ts";
import { claimVisibility } from "./claim-visibility.ts";
import { jobStates, jobStateView } from "./trigger-routes.ts";
import { jsonBody } from "./validate.ts";
import { runView } from "./views.ts";

const startBody = z.strictObject({ id: runIdSchema.optional(), input: z.unknown().optional() });

export function mountJobRoutes(
  app: Hono<AppEnv>,
  options: { registry: JobRegistry; now: () => number },
): void {
  const { registry, now } = options;
  const { visibility } = claimVisibility(registry);

  app.get("/api/jobs", async (c) => {
    const states = await jobStates(c.env.DB);
    return c.json({
      jobs: [...registry.jobs.values()].map((job) => ({
        name: job.name,
        description: job.description,
        triggers: job.triggers.map(plainTrigger),
        concurrency: job.concurrency,
        file: registry.files.get(job.name),
        ...(states.get(job.name) ?? jobStateView(null)),
      })),
      problems: registry.problems,
    });
  });

  app.post("/api/jobs/:name/runs", async (c) => {
    const job = registry.jobs.get(c.req.param("name"));
    if (!job) throw new ApiError("not_found", `no job named "${c.req.param("name")}"`, "name");
    demand(c.get("principal"), canOperate(c.get("principal")), "start runs (needs approver or admin)");
    const body = await jsonBody(c, startBody);
    const at = now();
    const runId = body.id ?? newRunId(job.name, at);
    const result = await startRun(c.env, {
      job,
      runId,
      input: body.input ?? {},
      trigger: "api",
      actor: c.get("principal").identity,
      at,
    });
    if (!result.ok && result.code === "duplicate") {
      throw new ApiError("conflict", `run "${runId}" already exists`, "body.id", { runId });
    }
    if (!result.ok) throw new ApiError("unavailable", `could not start the run: ${result.message}`);
    const run = await getRun(c.env.DB, runId);
    return c.json({ run: run ? runView(run, visibility(c.get("principal"), run)) : { id: runId } }, 201);
  });
}
