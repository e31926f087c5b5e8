/**
 * `POST /api/runs/:id/rollback`: start the run that undoes run `:id`'s DNS
 * change behind its own `rollback` gate (see `src/control/rollback.ts`).
 * Starting it needs approver or admin; deciding its gate follows the job's
 * `gates.rollback` policy like any gate.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { startRollback } from "../control/rollback.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import { runIdSchema } from "../jobs/run-params.ts";
import { getRun } from "../store/runs.ts";
import { type AppEnv, demand } from "../web/auth.ts";
import { ApiError } from "../web/errors.ts";
import { canOperate } from "../web/roles.ts";
import { jsonBody } from "./validate.ts";
import { runView } from "./views.ts";

const rollbackBody = z.strictObject({ id: runIdSchema.optional() });

export function mountRollbackRoutes(
  app: Hono<AppEnv>,
  options: { registry: JobRegistry; now: () => number },
) {
  app.post("/api/runs/:id/rollback", async (c) => {
    const principal = c.get("principal");
    demand(principal, canOperate(principal), "start a rollback (needs approver or admin)");
    const body = await jsonBody(c, rollbackBody);
    const of = c.req.param("id");
    const result = await startRollback(c.env, options.registry, {
      of,
      ...(body.id ? { runId: body.id } : {}),
      actor: principal.identity,
      at: options.now(),
    });
    if (!result.ok) {
      switch (result.code) {
        case "not_found":
          throw new ApiError("not_found", result.message, "id");
        case "nothing_to_undo":
        case "still_running":
          throw new ApiError("conflict", result.message, "id", { reason: result.code });
        case "duplicate":
          throw new ApiError("conflict", `run "${result.runId}" already exists`, "body.id", {
            runId: result.runId,
          });
        case "unavailable":
          throw new ApiError("unavailable", `could not start the rollback: ${result.message}`);
      }
    }
    const run = await getRun(c.env.DB, result.runId);
    return c.json({ run: run ? runView(run) : { id: result.runId }, rollbackOf: of }, 201);
  });
}
