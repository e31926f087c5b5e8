/**
 * Runs over the API: list, one run with its gates, its events (JSON or
 * Server-Sent Events), its artifacts, diff and each step's log, cancelling it and resuming it after it failed
 * on infrastructure (approver or admin, as for starting).
 */
import type { Hono } from "hono";
import { z } from "zod";
import { cancelRun } from "../control/cancel.ts";
import { rerunRun } from "../control/rerun.ts";
import { resumeRun } from "../control/resume.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import { runIdSchema } from "../jobs/run-params.ts";
import { listEvents, stepsOfRun } from "../store/events.ts";
import { approvalsOfRun, listGates } from "../store/gates.ts";
import { artifactsOfStep, getArtifact } from "../store/artifacts.ts";
import { artifactsOfKind, latestArtifactOfKind } from "../store/inbox-queries.ts";
import { RUN_STATUSES } from "../store/rows.ts";
import { getRun, listRuns } from "../store/runs.ts";
import { type AppEnv, demand } from "../web/auth.ts";
import { hideClaimUrl } from "../web/claim-url.ts";
import { ApiError } from "../web/errors.ts";
import { eventStreamResponse, resumeAfter } from "../web/event-stream.ts";
import { canOperate } from "../web/roles.ts";
import { stepLogParts } from "../web/step-log.ts";
import { foldRepeats } from "../web/timeline.ts";
import { claimVisibility } from "./claim-visibility.ts";
import { deciderOf } from "./decider.ts";
import { jsonBody, query } from "./validate.ts";
import { claimSecretsOf, eventView, gateView, runView } from "./views.ts";

const cancelBody = z.strictObject({
  by: z.string().min(1).max(200).optional(),
  reason: z.string().max(2_000).optional(),
});
const resumeBody = z.strictObject({ by: z.string().min(1).max(200).optional() });
const rerunBody = z.strictObject({ id: runIdSchema.optional() });
const listQuery = z.strictObject({
  job: z.string().optional(),
  status: z.enum(RUN_STATUSES).optional(),
  state: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const eventsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  /** `?stream=1`: Server-Sent Events (also chosen by `Accept: text/event-stream`). */
  stream: z.enum(["0", "1", "true", "false"]).optional(),
  /** `?fold=1`: identical events in a row as one, the newest, with `repeat` (src/web/timeline.ts). */
  fold: z.enum(["0", "1", "true", "false"]).optional(),
});

export function mountRunRoutes(
  app: Hono<AppEnv>,
  options: { registry: JobRegistry; now: () => number },
): void {
  const { registry, now } = options;
  const { visibility, gateVisibility } = claimVisibility(registry);
  /** The job's source, to show paths relative to its project; null once the job is gone. */
  const sourceOf = (job: string) => registry.jobs.get(job)?.source ?? null;

  app.get("/api/runs", async (c) => {
    const q = query(c, listQuery);
    const principal = c.get("principal");
    const pending = Map.groupBy(await listGates(c.env.DB, { status: "pending" }), (g) => g.run_id);
    return c.json({
      runs: (await listRuns(c.env.DB, q)).map((run) =>
        runView(
          run,
          { ...visibility(principal, run), emulatorUrl: c.env.EMULATOR_URL },
          pending.get(run.id) ?? [],
        ),
      ),
    });
  });

  app.get("/api/runs/:id", async (c) => {
    const run = await getRun(c.env.DB, c.req.param("id"));
    if (!run) throw new ApiError("not_found", `no run "${c.req.param("id")}"`, "id");
    const gates = await listGates(c.env.DB, { runId: run.id });
    const approvals = await approvalsOfRun(c.env.DB, run.id);
    const principal = c.get("principal");
    return c.json({
      run: runView(run, { ...visibility(principal, run, gates), emulatorUrl: c.env.EMULATOR_URL }, gates),
      gates: gates.map((g) => gateView(g, approvals.get(g.id), gateVisibility(principal, g))),
    });
  });

  app.get("/api/runs/:id/events", async (c) => {
    const run = await getRun(c.env.DB, c.req.param("id"));
    if (!run) throw new ApiError("not_found", `no run "${c.req.param("id")}"`, "id");
    const q = query(c, eventsQuery);
    const wantsStream =
      q.stream === "1" ||
      q.stream === "true" ||
      (q.stream === undefined && (c.req.header("accept") ?? "").includes("text/event-stream"));
    if (wantsStream)
      return eventStreamResponse({
        db: c.env.DB,
        runId: run.id,
        after: resumeAfter(c.req.header("last-event-id"), c.req.query("after")),
        render: (event) => eventView(event, claimSecretsOf(run), sourceOf(run.job)),
      });
    const secrets = claimSecretsOf(run);
    const events = (await listEvents(c.env.DB, run.id, q.after)).map((e) =>
      eventView(e, secrets, sourceOf(run.job)),
    );
    return c.json({ events: q.fold === "1" || q.fold === "true" ? foldedEvents(events) : events });
  });

  app.get("/api/runs/:id/artifacts/:ref{.+}", async (c) => {
    const ref = c.req.param("ref");
    const artifact = ref.startsWith(`${c.req.param("id")}:`) ? await getArtifact(c.env.DB, ref) : null;
    if (!artifact)
      throw new ApiError("not_found", `no artifact "${ref}" in run "${c.req.param("id")}"`, "ref");
    return c.json({ ref, kind: artifact.kind, body: artifact.body });
  });

  // One step's output as text: wrangler's, setup's, the agent's transcript, the verify report
  // (src/web/step-log.ts). A step name has `#` (and may have `/`): the client encodes it.
  app.get("/api/runs/:id/steps/:step/log", async (c) => {
    const run = await getRun(c.env.DB, c.req.param("id"));
    if (!run) throw new ApiError("not_found", `no run "${c.req.param("id")}"`, "id");
    const step = c.req.param("step");
    const artifacts = await artifactsOfStep(c.env.DB, run.id, step);
    if (artifacts.length === 0) {
      const steps = await stepsOfRun(c.env.DB, run.id);
      if (!steps.includes(step))
        throw new ApiError(
          "not_found",
          `run "${run.id}" has no step "${step}" (its steps: ${steps.join(", ") || "none yet"})`,
          "step",
        );
    }
    const parts = stepLogParts(artifacts, sourceOf(run.job));
    return c.json({ runId: run.id, step, parts: hideClaimUrl(parts, claimSecretsOf(run)) });
  });

  // What the agent changed: the run's whole change (`net`, null when it could not be computed)
  // and each round's own, oldest first (src/adapters/agent/diffing.ts).
  app.get("/api/runs/:id/diff", async (c) => {
    const run = await getRun(c.env.DB, c.req.param("id"));
    if (!run) throw new ApiError("not_found", `no run "${c.req.param("id")}"`, "id");
    const net = await latestArtifactOfKind(c.env.DB, run.id, "diff");
    const rounds = await artifactsOfKind(c.env.DB, run.id, "round-diff");
    return c.json({
      net: net && { ref: net.ref, diff: net.body },
      rounds: rounds.map((r) => ({ ref: r.ref, diff: r.body })),
    });
  });

  app.post("/api/runs/:id/cancel", async (c) => {
    demand(c.get("principal"), canOperate(c.get("principal")), "cancel runs (needs approver or admin)");
    const body = await jsonBody(c, cancelBody);
    const result = await cancelRun(c.env, {
      runId: c.req.param("id"),
      by: deciderOf(c.get("principal"), body.by).identity,
      reason: body.reason ?? null,
      at: now(),
    });
    if (!result.ok)
      throw new ApiError(result.code, result.message, result.code === "not_found" ? "id" : undefined);
    return c.json({ cancelRequested: true }, 202);
  });

  app.post("/api/runs/:id/rerun", async (c) => {
    demand(c.get("principal"), canOperate(c.get("principal")), "run again (needs approver or admin)");
    const body = await jsonBody(c, rerunBody);
    const result = await rerunRun(c.env, registry, {
      runId: c.req.param("id"),
      newId: body.id,
      by: c.get("principal").identity,
      at: now(),
    });
    if (!result.ok) {
      switch (result.code) {
        case "not_found":
          throw new ApiError("not_found", result.message, "id");
        case "not_final":
        case "no_job":
          throw new ApiError("conflict", result.message, "id", { reason: result.code });
        case "duplicate":
          throw new ApiError("conflict", result.message, "body.id", { reason: result.code });
        case "unavailable":
          throw new ApiError("unavailable", `could not start the run: ${result.message}`);
      }
    }
    const run = await getRun(c.env.DB, result.runId);
    return c.json(
      {
        run: run ? runView(run, visibility(c.get("principal"), run)) : { id: result.runId },
        rerunOf: result.rerunOf,
      },
      201,
    );
  });

  app.post("/api/runs/:id/resume", async (c) => {
    demand(c.get("principal"), canOperate(c.get("principal")), "resume runs (needs approver or admin)");
    const body = await jsonBody(c, resumeBody);
    const result = await resumeRun(c.env, registry, {
      runId: c.req.param("id"),
      by: deciderOf(c.get("principal"), body.by).identity,
      at: now(),
    });
    if (!result.ok) {
      switch (result.code) {
        case "not_found":
          throw new ApiError("not_found", result.message, "id");
        case "not_failed":
        case "not_resumable":
          throw new ApiError("conflict", result.message, "id", { reason: result.code });
        case "conflict":
          throw new ApiError("conflict", result.message, "id", { reason: "resuming" });
        case "unavailable":
          throw new ApiError("unavailable", `could not resume the run: ${result.message}`);
      }
    }
    const run = await getRun(c.env.DB, result.runId);
    return c.json(
      {
        run: run ? runView(run) : { id: result.runId },
        resumed: { from: result.state, resumes: result.resumes, instance: result.instanceId },
      },
      202,
    );
  });
}

/**
 * Identical events in a row (same type, target state and data; a claim check every 30 s) as the
 * newest of them with `repeat: { count, firstSeq, firstAt }`. Only this reading is folded: the
 * audit log, and `/events` without `fold`, keep every event.
 */
export function foldedEvents<
  E extends { seq: number; type: string; to: string | null; data: unknown; at: number },
>(events: readonly E[]) {
  const keyed = events.map((event) => ({
    event,
    type: event.type,
    to: event.to,
    note: JSON.stringify(event.data),
  }));
  return foldRepeats(keyed).map(({ first, last, count }) =>
    count > 1
      ? { ...last.event, repeat: { count, firstSeq: first.event.seq, firstAt: first.event.at } }
      : last.event,
  );
}
