/**
 * One run in the inbox: its page (gates and timeline), the live timeline
 * that updates it, each step's log page, and resuming it when it failed on infrastructure (a form
 * with a CSRF token bound to the person and the run, like the decision form).
 * The claim URL, a credential, never shows in either.
 */
import type { Hono } from "hono";
import { rerunRun } from "../control/rerun.ts";
import { resumeRefusal, resumeRun } from "../control/resume.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import type { Job } from "../jobs/schema.ts";
import { projectRelativeDeep } from "../jobs/display-paths.ts";
import { artifactsOfStep } from "../store/artifacts.ts";
import { listEvents, stepsOfRun } from "../store/events.ts";
import { listGates } from "../store/gates.ts";
import type { EventRow, RunRow } from "../store/rows.ts";
import { getRun } from "../store/runs.ts";
import { claimUrlsIn, hideClaimUrl } from "../web/claim-url.ts";
import { eventStreamResponse, resumeAfter } from "../web/event-stream.ts";
import { waitingFor } from "../web/waiting-for.ts";
import { canOperate, type Principal } from "../web/roles.ts";
import { CSRF_FIELD, checkCsrf, csrfToken } from "./csrf.ts";
import { type C, type InboxEnv, sameOrigin, secretOf } from "./inbox-http.ts";
import { htmlResponse, messagePage } from "./layout.ts";
import { runPage, timelineEntry } from "./pages/run.ts";
import { stepLogPage } from "./pages/step-log.ts";
import { stepLogParts } from "../web/step-log.ts";

/** What a resume or re-run form's CSRF token is bound to: the person, the action and this run. */
const resumeScope = (runId: string) => `resume:${runId}`;
const rerunScope = (runId: string) => `rerun:${runId}`;

export function mountRunRoutes(
  inbox: Hono<InboxEnv>,
  options: { now: () => number; registry: JobRegistry },
): void {
  const { now, registry } = options;
  const sourceOf = (run: RunRow) => registry.jobs.get(run.job)?.source ?? null;

  /** The resume form, for a run that failed on infrastructure and a person who may start runs. */
  const resumeForm = async (c: C, run: RunRow, principal: Principal) =>
    resumeRefusal(run) === null && canOperate(principal)
      ? {
          action: `/inbox/runs/${run.id}/resume`,
          csrf: await csrfToken(
            secretOf(c),
            { identity: principal.identity, scope: resumeScope(run.id) },
            now(),
          ),
        }
      : null;

  /** The Run again form, for a run that has ended and a person who may start runs. */
  const rerunForm = async (c: C, run: RunRow, principal: Principal) =>
    run.status === "final" && canOperate(principal) && registry.jobs.has(run.job)
      ? {
          action: `/inbox/runs/${run.id}/rerun`,
          csrf: await csrfToken(
            secretOf(c),
            { identity: principal.identity, scope: rerunScope(run.id) },
            now(),
          ),
        }
      : null;

  inbox.get("/runs/:id", async (c) => {
    const run = await getRun(c.env.DB, c.req.param("id"));
    if (!run)
      return messagePage(404, "No such run", `There is no run "${c.req.param("id")}".`, c.get("principal"));
    const gates = await listGates(c.env.DB, { runId: run.id });
    const events = (await listEvents(c.env.DB, run.id, 0, 1_000)).map(shown(run, sourceOf(run)));
    const decided = c.req.query("decided");
    const recorded = c.req.query("recorded");
    const resumed = c.req.query("resumed");
    const rerunOf = c.req.query("rerunOf");
    return htmlResponse(
      runPage({
        principal: c.get("principal"),
        run,
        gates,
        events,
        now: now(),
        resume: await resumeForm(c, run, c.get("principal")),
        rerun: await rerunForm(c, run, c.get("principal")),
        notice: decided
          ? `Recorded: ${decided}. The run resumes; this timeline updates by itself.`
          : recorded
            ? `Recorded: ${recorded}. The gate waits for another approver.`
            : resumed
              ? `Resumed at ${resumed}: the run goes on from its last good step; this timeline updates by itself.`
              : rerunOf
                ? `Started again from run ${rerunOf}, with the same input; this timeline updates by itself.`
                : null,
      }),
    );
  });

  inbox.post("/runs/:id/resume", (c) =>
    operatorForm(c, resumeScope, "resume runs", async (runId, by) => {
      const result = await resumeRun(c.env, registry, { runId, by, at: now() });
      return result.ok
        ? { ok: true, to: `/inbox/runs/${runId}?resumed=${encodeURIComponent(result.state)}` }
        : { ...result, title: "Cannot resume", otherTitle: "Not resumed" };
    }),
  );

  inbox.post("/runs/:id/rerun", (c) =>
    operatorForm(c, rerunScope, "start runs", async (runId, by) => {
      const result = await rerunRun(c.env, registry, { runId, by, at: now() });
      return result.ok
        ? { ok: true, to: `/inbox/runs/${result.runId}?rerunOf=${encodeURIComponent(runId)}` }
        : { ...result, title: "Cannot run it again", otherTitle: "Not started" };
    }),
  );

  /**
   * A run's button (Resume, Run again): posted from this site, with the CSRF token its page gave
   * this person for this run, by someone who may start runs; then the action, and a redirect to
   * where it leads or a page saying why not (409 refused, 404 unknown, 503 could not start).
   */
  async function operatorForm(
    c: C,
    scope: (runId: string) => string,
    may: string,
    act: (
      runId: string,
      by: string,
    ) => Promise<
      | { ok: true; to: string }
      | { ok: false; code: string; message: string; title: string; otherTitle: string }
    >,
  ): Promise<Response> {
    const principal = c.get("principal");
    if (!sameOrigin(c))
      return messagePage(403, "Refused", "This form was posted from another site.", principal);
    const runId = c.req.param("id") ?? "";
    const form = await c.req.parseBody();
    const token = form[CSRF_FIELD];
    const csrf = await checkCsrf(
      secretOf(c),
      typeof token === "string" ? token : undefined,
      { identity: principal.identity, scope: scope(runId) },
      now(),
    );
    if (!csrf.ok) return messagePage(403, "Refused (CSRF)", csrf.message, principal);
    if (!canOperate(principal))
      return messagePage(
        403,
        "Not allowed",
        `${principal.identity} may not ${may} (needs approver or admin).`,
        principal,
      );
    const result = await act(runId, principal.identity);
    if (result.ok) return c.redirect(result.to, 303);
    const status = result.code === "not_found" ? 404 : result.code === "unavailable" ? 503 : 409;
    const response = messagePage(
      status,
      status === 409 ? result.title : result.otherTitle,
      result.message,
      principal,
    );
    response.headers.set("x-nightshift-refusal", result.code);
    return response;
  }

  // The live timeline (Server-Sent Events, see src/web/event-stream.ts); the page works without it.
  inbox.get("/runs/:id/stream", async (c) => {
    const run = await getRun(c.env.DB, c.req.param("id"));
    if (!run) return c.json({ error: { code: "not_found", message: "no such run" } }, 404);
    return eventStreamResponse({
      db: c.env.DB,
      runId: run.id,
      after: resumeAfter(c.req.header("last-event-id"), c.req.query("after")),
      render: (event) => timelineEntry(shown(run, sourceOf(run))(event)),
      // The run page's "Waiting for …" line follows the run (never the claim URL: see waiting-for.ts).
      describe: async (now) => ({ waiting: waitingFor(now, await listGates(c.env.DB, { runId: now.id })) }),
    });
  });

  // What one step kept, linked from its line in the timeline.
  inbox.get("/runs/:id/steps/:step", async (c) => {
    const principal = c.get("principal");
    const run = await getRun(c.env.DB, c.req.param("id"));
    if (!run) return messagePage(404, "No such run", `There is no run "${c.req.param("id")}".`, principal);
    const step = c.req.param("step");
    const artifacts = await artifactsOfStep(c.env.DB, run.id, step);
    if (artifacts.length === 0 && !(await stepsOfRun(c.env.DB, run.id)).includes(step))
      return messagePage(404, "No such step", `Run "${run.id}" has no step "${step}".`, principal);
    const parts = hideClaimUrl(stepLogParts(artifacts, sourceOf(run)), claimUrlsIn(run.context_json));
    return htmlResponse(stepLogPage({ principal, runId: run.id, step, parts }));
  });
}

/**
 * An event as the timeline shows it: never the claim URL (a credential), not even quoted in an
 * error, and Sandbox paths relative to the job's project (src/jobs/display-paths.ts).
 */
function shown(run: RunRow, source: Job["source"] | null): (event: EventRow) => EventRow {
  const secrets = claimUrlsIn(run.context_json);
  return (event) => ({
    ...event,
    data_json: projectRelativeDeep(
      hideClaimUrl(event.data_json, [...secrets, ...claimUrlsIn(event.data_json)]),
      source,
    ),
  });
}
