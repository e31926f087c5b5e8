/**
 * Runs over the API: list, one run with its gates, its events (JSON or
 * Server-Sent Events), its artifacts and diff, cancelling it and resuming it after it failed
 * on infrastructure (approver or admin, as for starting).
 */
import type { Hono } from "hono";
import { z } from "zod";
import { cancelRun } from "../control/cancel.ts";
import { resumeRun } from "../control/resume.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import { listEvents } from "../store/events.ts";
import { approvalsOfRun, listGates } from "../store/gates.ts";
import { getArtifact } from "../store/artifacts.ts";
import { artifactsOfKind, latestArtifactOfKind } from "../store/inbox-queries.ts";
import { RUN_STATUSES } from "../store/rows.ts";
import { getRun, listRuns } from "../store/runs.ts";
import { type AppEnv, demand } from "../web/auth.ts";
import { ApiError } from "../web/errors.ts";
import { eventStreamResponse, resumeAfter } from "../web/event-stream.ts";
import { canOperate } from "../web/roles.ts";
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

  app.get("/api/runs", async (c) => {
    const q = query(c, listQuery);
    const principal = c.get("principal");
    const pending = Map.groupBy(await listGates(c.env.DB, { status: "pending" }), (g) => g.run_id);
    return c.json({
      runs: (await listRuns(c.env.DB, q)).map((run) =>
        runView(run, visibility(principal, run), pending.get(run.id) ?? []),
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
      run: runView(run, visibility(principal, run, gates), gates),
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
        render: (event) => eventView(event, claimSecretsOf(run)),
      });
    const secrets = claimSecretsOf(run);
    const events = (await listEvents(c.env.DB, run.id, q.after)).map((e) => eventView(e, secrets));
    return c.json({ events: q.fold === "1" || q.fold === "true" ? foldedEvents(events) : events });
  });

  app.get("/api/runs/:id/artifacts/:ref{.+}", async (c) => {
    const ref = c.req.param("ref");
    const artifact = ref.startsWith(`${c.req.param("id")}:`) ? await getArtifact(c.env.DB, ref) : null;
    if (!artifact)
      throw new ApiError("not_found", `no artifact "${ref}" in run "${c.req.param("id")}"`, "ref");
    return c.json({ ref, kind: artifact.kind, body: artifact.body });
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
