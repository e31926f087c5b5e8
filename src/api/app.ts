/**
 * The HTTP API: jobs, runs, events, gates, cancel and the sweeper. Handlers
 * validate at the edge, call `src/control` and `src/store`, and render errors
 * through one `onError`. Built by a factory so tests and local mode can give
 * it their own job registry and clock.
 */
import { GATE_STATUSES } from "../ports/vocabulary.ts";
import { Hono } from "hono";
import { z } from "zod";
import { cancelRun } from "../control/cancel.ts";
import { decide, findGate } from "../gates/decide.ts";
import { newRunId, startRun } from "../control/start.ts";
import { DEFAULT_SWEEP, sweep } from "../control/sweeper.ts";
import { plainTrigger } from "../jobs/plain.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import type { Env } from "../env.ts";
import type { Notifier } from "../ports/notifier.ts";
import { runIdSchema } from "../jobs/run-params.ts";
import { listEvents } from "../store/events.ts";
import { approvalsOfRun, listApprovals, listGates } from "../store/gates.ts";
import { getArtifact } from "../store/artifacts.ts";
import { type GateRow, RUN_STATUSES, type RunRow } from "../store/rows.ts";
import { getRun, listRuns } from "../store/runs.ts";
import { listSignoffs, recordSignoff } from "../store/signoffs.ts";
import { type AppEnv, authenticate, demand } from "../web/auth.ts";
import { maySeeClaimUrl } from "../web/claim-url.ts";
import { ApiError } from "../web/errors.ts";
import { eventStreamResponse, resumeAfter } from "../web/event-stream.ts";
import { mountPeopleRoutes } from "./people-routes.ts";
import { mountRollbackRoutes } from "./rollback-routes.ts";
import { jobStates, jobStateView, mountTriggerRoutes } from "./trigger-routes.ts";
import { createWebhooks } from "./webhooks.ts";
import {
  canOperate,
  canView,
  hasRole,
  isAutomationIdentity,
  mayDecide,
  type Principal,
} from "../web/roles.ts";
import { DEFAULT_LINK_TTL_MS, issueLink } from "../gates/signed-links.ts";
import { apiRequestGuard } from "./request-guard.ts";
import { jsonBody, query } from "./validate.ts";
import { claimSecretsOf, eventView, gateView, runView, type ViewOptions } from "./views.ts";

export interface AppOptions {
  registry: JobRegistry;
  now?: () => number;
  /** Who hears that a job paused itself (the Worker's Notifier port); none: only the audit log. */
  notifierFor?: (env: Env) => Notifier;
}

const startBody = z.strictObject({ id: runIdSchema.optional(), input: z.unknown().optional() });
const decisionBody = z.strictObject({
  by: z.string().min(1).max(200).optional(),
  reason: z.string().max(2_000).optional(),
  shownHash: z.string().min(1).optional(),
});
const rejectBody = decisionBody.extend({
  reason: z.string().min(1, "a rejection needs a reason").max(2_000),
});
const cancelBody = z.strictObject({
  by: z.string().min(1).max(200).optional(),
  reason: z.string().max(2_000).optional(),
});
const sweepBody = z.strictObject({ afterRestart: z.boolean().optional() });
const listQuery = z.strictObject({
  job: z.string().optional(),
  status: z.enum(RUN_STATUSES).optional(),
  state: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const signoffBody = z.strictObject({
  apiBase: z.url(),
  termsUrl: z.url().default("https://www.cloudflare.com/terms/"),
  privacyUrl: z.url().default("https://www.cloudflare.com/privacypolicy/"),
  by: z.string().min(1).max(200).optional(),
  note: z.string().max(2_000).optional(),
});
const linkBody = z.strictObject({
  to: z.string().min(1).max(200).optional(),
  ttlSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .optional(),
});
const eventsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  /** `?stream=1`: Server-Sent Events (also chosen by `Accept: text/event-stream`). */
  stream: z.enum(["0", "1", "true", "false"]).optional(),
});

export function createApp(options: AppOptions) {
  const now = options.now ?? (() => Date.now());
  const { registry } = options;
  const app = new Hono<AppEnv>();

  /**
   * Whether `principal` sees the claim URL in views of `run` (and `gate`): it may decide
   * the run's claim gate, by the gate row's approvers, else the latest claim gate's,
   * else the job's current policy.
   */
  const visibility = (
    principal: Principal,
    run: Pick<RunRow, "id" | "job">,
    gates: readonly GateRow[] = [],
  ): ViewOptions => {
    const claimGate = gates.filter((g) => g.kind === "claim").at(-1);
    const approvers = claimGate?.approvers_json ??
      registry.jobs.get(run.job)?.gates.claim.approvers ?? ["approver"];
    return { showClaimUrl: maySeeClaimUrl(principal, { runId: run.id, approvers }) };
  };
  const gateVisibility = (principal: Principal, gate: GateRow): ViewOptions =>
    gate.kind === "claim"
      ? { showClaimUrl: maySeeClaimUrl(principal, { runId: gate.run_id, approvers: gate.approvers_json }) }
      : { showClaimUrl: false };

  app.onError((error, c) => {
    if (error instanceof ApiError) return error.toResponse();
    console.error("nightshift api: unhandled error", error instanceof Error ? error.stack : String(error));
    return c.json({ error: { code: "internal", message: "internal error" } }, 500);
  });
  app.notFound(() => new ApiError("not_found", "no such endpoint").toResponse());

  app.get("/health", (c) =>
    c.json({ ok: true, jobs: registry.jobs.size, problems: registry.problems.length }),
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

  app.get("/api/runs", async (c) => {
    const q = query(c, listQuery);
    const principal = c.get("principal");
    return c.json({
      runs: (await listRuns(c.env.DB, q)).map((run) => runView(run, visibility(principal, run))),
    });
  });

  app.get("/api/runs/:id", async (c) => {
    const run = await getRun(c.env.DB, c.req.param("id"));
    if (!run) throw new ApiError("not_found", `no run "${c.req.param("id")}"`, "id");
    const gates = await listGates(c.env.DB, { runId: run.id });
    const approvals = await approvalsOfRun(c.env.DB, run.id);
    const principal = c.get("principal");
    return c.json({
      run: runView(run, visibility(principal, run, gates)),
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
    return c.json({
      events: (await listEvents(c.env.DB, run.id, q.after)).map((e) => eventView(e, secrets)),
    });
  });

  app.get("/api/runs/:id/artifacts/:ref{.+}", async (c) => {
    const ref = c.req.param("ref");
    const artifact = ref.startsWith(`${c.req.param("id")}:`) ? await getArtifact(c.env.DB, ref) : null;
    if (!artifact)
      throw new ApiError("not_found", `no artifact "${ref}" in run "${c.req.param("id")}"`, "ref");
    return c.json({ ref, kind: artifact.kind, body: artifact.body });
  });

  app.get("/api/gates", async (c) => {
    const q = query(
      c,
      z.strictObject({
        status: z.enum(GATE_STATUSES).optional(),
      }),
    );
    const principal = c.get("principal");
    return c.json({
      gates: (await listGates(c.env.DB, q)).map((g) => gateView(g, [], gateVisibility(principal, g))),
    });
  });

  for (const decision of ["approve", "reject"] as const) {
    app.post(`/api/runs/:id/gates/:gate/${decision}`, async (c) => {
      const runId = c.req.param("id");
      if (!(await getRun(c.env.DB, runId))) throw new ApiError("not_found", `no run "${runId}"`, "id");
      const body = await jsonBody(c, decision === "approve" ? decisionBody : rejectBody);
      const principal = deciderOf(c.get("principal"), body.by);
      const result = await decide(c.env, {
        runId,
        gateRef: c.req.param("gate"),
        decision: decision === "approve" ? "approved" : "rejected",
        by: principal.identity,
        reason: body.reason ?? null,
        shownHash: body.shownHash ?? null,
        at: now(),
        via: principal.via,
        authorize: async (gate) => {
          const verdict = mayDecide(principal, {
            kind: gate.kind,
            approvers: gate.approvers_json,
            runId: gate.run_id,
          });
          return verdict.ok ? null : { code: "forbidden", message: verdict.message };
        },
      });
      if (!result.ok) {
        const gate =
          "gate" in result ? { gate: gateView(result.gate, [], gateVisibility(principal, result.gate)) } : {};
        const approvals = "approvals" in result ? { approvals: result.approvals } : {};
        throw new ApiError(result.code, result.message, result.code === "not_found" ? "gate" : undefined, {
          ...gate,
          ...approvals,
        });
      }
      const approvals = result.approvals ? { approvals: result.approvals } : {};
      const gate = gateView(
        result.gate,
        await listApprovals(c.env.DB, result.gate.id),
        gateVisibility(principal, result.gate),
      );
      // 202: the approval is on record, and the gate waits for a second, different approver.
      return c.json({ gate, delivered: result.delivered, ...approvals }, result.decided ? 200 : 202);
    });
  }

  app.post("/api/runs/:id/gates/:gate/links", async (c) => {
    const runId = c.req.param("id");
    const body = await jsonBody(c, linkBody);
    const principal = c.get("principal");
    const gate = await findGate(c.env.DB, runId, c.req.param("gate"));
    if (!gate) throw new ApiError("not_found", `run ${runId} has no gate "${c.req.param("gate")}"`, "gate");
    const verdict = mayDecide(principal, { kind: gate.kind, approvers: gate.approvers_json, runId });
    if (!verdict.ok) throw new ApiError("forbidden", `cannot hand out a link to decide: ${verdict.message}`);
    if (gate.status !== "pending")
      throw new ApiError("gate_not_pending", `gate ${gate.kind}-${gate.seq} is already ${gate.status}`);
    if (body.to !== undefined && isAutomationIdentity(body.to))
      throw new ApiError("forbidden", `"${body.to}" is reserved for automation`, "body.to");
    const issued = await issueLink(c.env, {
      gate,
      issuedTo: body.to ?? principal.identity,
      issuedBy: principal.identity,
      ttlMs: (body.ttlSeconds ?? DEFAULT_LINK_TTL_MS / 1000) * 1000,
      now: now(),
    });
    if (!issued.ok) throw new ApiError(issued.code, issued.message);
    const base = c.env.NIGHTSHIFT_PUBLIC_URL ?? new URL(c.req.url).origin;
    return c.json(
      { url: `${base}${issued.path}`, id: issued.link.id, expiresAt: issued.link.expires_at },
      201,
    );
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

  app.get("/api/signoffs", async (c) => c.json({ signoffs: await listSignoffs(c.env.DB) }));

  app.post("/api/signoffs", async (c) => {
    demand(c.get("principal"), hasRole(c.get("principal"), "legal"), "record a legal sign-off (needs legal)");
    const body = await jsonBody(c, signoffBody);
    const at = now();
    const id = `tos-${at.toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
    await recordSignoff(c.env.DB, {
      id,
      apiBase: body.apiBase,
      termsUrl: body.termsUrl,
      privacyUrl: body.privacyUrl,
      signedBy: deciderOf(c.get("principal"), body.by).identity,
      signedAt: at,
      automatic: false,
      ...(body.note ? { note: body.note } : {}),
    });
    return c.json({ signoff: { id, ...body, signedAt: at } }, 201);
  });

  app.post("/api/sweep", async (c) => {
    demand(c.get("principal"), hasRole(c.get("principal"), "admin"), "run the sweeper (needs admin)");
    // `afterRestart`: the engine just started, so a run still marked running lost whatever was
    // executing it (the local engine does not resume a step cut off by a crash): wake them all.
    const body = await jsonBody(c, sweepBody);
    const stall = body.afterRestart ? { stallAfterMs: 0 } : {};
    return c.json(
      await sweep(c.env, { now: now(), ...DEFAULT_SWEEP, ...stall, notifier: options.notifierFor?.(c.env) }),
    );
  });

  return app;
}

/**
 * Who a decision (or sign-off, or cancel) is recorded under. Identity comes from
 * authentication. The body's `by` may repeat it; naming anyone else is refused
 * (403), except for the bootstrap token, the operator's root credential from
 * configuration, which may record a named person (scripts, tests) since it can
 * mint that person's token anyway. Nobody's `by` may name the run's automation.
 */
function deciderOf(principal: Principal, by: string | undefined): Principal {
  if (by === undefined) return principal;
  if (isAutomationIdentity(by))
    throw new ApiError(
      "forbidden",
      `"${by}" is reserved for automation; a person never acts as it`,
      "body.by",
    );
  if (by.trim().toLowerCase() === principal.identity.toLowerCase()) return principal;
  if (principal.via !== "bootstrap")
    throw new ApiError(
      "forbidden",
      `${principal.identity} may not act as "${by}": decisions are recorded under the caller's own identity (leave out "by")`,
      "body.by",
    );
  return { ...principal, identity: by.trim() };
}
