/**
 * The approvals inbox, served by the Worker under `/inbox`: server-rendered
 * pages (gates, runs, one run's live timeline, one gate) and the decision
 * forms. Sign-in is Cloudflare Access (header) or an API token kept in an
 * HttpOnly, SameSite=Strict cookie; forms carry a CSRF token and the view hash.
 * Signed links (`/inbox/l/<token>`) open one gate to their holder, once.
 */
import { type Context, Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { type AppEnv, principalForSecret, resolvePrincipal, SESSION_COOKIE } from "../web/auth.ts";
import { claimUrlsIn, hideClaimUrl } from "../web/claim-url.ts";
import { canView, mayDecide, type Principal } from "../web/roles.ts";
import { openLink } from "../gates/signed-links.ts";
import { signingSecret } from "../web/signing.ts";
import { decide, findGate } from "../gates/decide.ts";
import { eventStreamResponse, resumeAfter } from "../web/event-stream.ts";
import { listEvents } from "../store/events.ts";
import { getGate, listGates } from "../store/gates.ts";
import { distinctJobs, runsByIds } from "../store/inbox-queries.ts";
import type { EventRow, GateRow, RunRow } from "../store/rows.ts";
import { getRun, listRuns } from "../store/runs.ts";
import { releaseLink, useLink } from "../store/signed-links.ts";
import { CSS, SCRIPT } from "./assets.ts";
import { CSRF_FIELD, checkCsrf, csrfToken } from "./csrf.ts";
import { type GateView, loadGateView } from "../gates/view.ts";
import { htmlResponse, messagePage } from "./layout.ts";
import { gatePage } from "./pages/gate.ts";
import { gatesPage, runsPage } from "./pages/lists.ts";
import { runPage, timelineEntry } from "./pages/run.ts";
import { signInPage } from "./pages/sign-in.ts";

type InboxEnv = AppEnv;
type C = Context<InboxEnv>;

const decisionForm = z.object({
  decision: z.enum(["approve", "reject"]),
  reason: z.string().max(2_000).default(""),
  [CSRF_FIELD]: z.string().optional(),
  viewHash: z.string().default(""),
});

/** Requests from another site are refused outright (the cookie is SameSite=Strict as well). */
function sameOrigin(c: C): boolean {
  const origin = c.req.header("origin");
  if (!origin) return true;
  const allowed = new Set([new URL(c.req.url).origin]);
  if (c.env.NIGHTSHIFT_PUBLIC_URL) allowed.add(new URL(c.req.url, c.env.NIGHTSHIFT_PUBLIC_URL).origin);
  return allowed.has(origin);
}

function secretOf(c: C): string {
  const secret = signingSecret(c.env);
  if (!secret) throw new Error("no signing key (NIGHTSHIFT_SIGNING_KEY or NIGHTSHIFT_TOKEN) is configured");
  return secret;
}

function verdictFor(principal: Principal, gate: GateRow) {
  return mayDecide(principal, { kind: gate.kind, approvers: gate.approvers_json, runId: gate.run_id });
}

export function createInbox(options: { now: () => number }) {
  const { now } = options;
  const inbox = new Hono<InboxEnv>();

  inbox.get("/app.css", () => new Response(CSS, { headers: { "content-type": "text/css; charset=utf-8" } }));
  inbox.get(
    "/app.js",
    () => new Response(SCRIPT, { headers: { "content-type": "text/javascript; charset=utf-8" } }),
  );

  inbox.get("/sign-in", (c) => htmlResponse(signInPage({ next: safeNext(c.req.query("next")) }), 200));
  inbox.post("/sign-in", async (c) => {
    if (!sameOrigin(c)) return messagePage(403, "Refused", "This form was posted from another site.");
    const form = await c.req.parseBody();
    const token = typeof form.token === "string" ? form.token.trim() : "";
    const next = safeNext(typeof form.next === "string" ? form.next : undefined);
    const resolved = token ? await principalForSecret(c.env, token, now()) : null;
    if (!resolved?.ok)
      return htmlResponse(
        signInPage({ next, message: "That token is not valid (unknown, revoked or expired)." }),
        401,
      );
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: "Strict",
      secure: new URL(c.req.url).protocol === "https:",
      path: "/",
      maxAge: 7 * 86_400,
    });
    return c.redirect(next, 303);
  });
  inbox.get("/sign-out", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/inbox/sign-in", 303);
  });

  // Signed links: no sign-in, the link is the credential (once).
  inbox.get("/l/:token", async (c) => {
    const opened = await openLink(c.env, c.req.param("token"), now());
    if (!opened.ok) return linkRefusal(opened.code, opened.message);
    const gate = await getGateById(c, opened.link.gate_id);
    if (!gate) return messagePage(404, "No such gate", "The gate behind this link no longer exists.");
    const holder = linkPrincipal(opened.link.issued_to, opened.link.id);
    const view = await loadGateView(c.env.DB, gate);
    const csrf = await csrfToken(secretOf(c), { identity: holder.identity, scope: opened.link.id }, now());
    return htmlResponse(
      gatePage(view, {
        principal: holder,
        now: now(),
        form: {
          action: `/inbox/l/${c.req.param("token")}`,
          csrf,
          refusal: null,
          approvedAlready: approvedBy(view, opened.link.issued_to),
        },
      }),
    );
  });

  inbox.post("/l/:token", async (c) => {
    if (!sameOrigin(c)) return messagePage(403, "Refused", "This form was posted from another site.");
    const opened = await openLink(c.env, c.req.param("token"), now());
    if (!opened.ok) return linkRefusal(opened.code, opened.message);
    const link = opened.link;
    const holder = linkPrincipal(link.issued_to, link.id);
    const form = decisionForm.safeParse(await c.req.parseBody());
    if (!form.success) return messagePage(400, "Bad form", "The form was incomplete; go back and try again.");
    const csrf = await checkCsrf(
      secretOf(c),
      form.data[CSRF_FIELD],
      { identity: holder.identity, scope: link.id },
      now(),
    );
    if (!csrf.ok) return messagePage(403, "Refused (CSRF)", csrf.message);
    if (!(await useLink(c.env.DB, link.id, form.data.decision, now())))
      return linkRefusal("link_used", "This link was already used; a signed link decides once.");
    const gate = await getGateById(c, link.gate_id);
    if (!gate) return messagePage(404, "No such gate", "The gate behind this link no longer exists.");
    const response = await decideFromForm(c, {
      gate,
      principal: holder,
      // On a gate that needs two approvers, a link counts as the person it was issued to.
      person: link.issued_to,
      form: form.data,
      authorize: async (g) =>
        g.id === link.gate_id && g.kind !== "tos"
          ? null
          : { code: "forbidden", message: "this link does not open that gate" },
    });
    // A refusal that decided nothing (the page went stale, or this person approved already)
    // gives the link back, so its holder can review again.
    const refusal = response.status === 409 ? response.headers.get("x-nightshift-refusal") : null;
    if (refusal === "shown_changed" || refusal === "already_approved") await releaseLink(c.env.DB, link.id);
    return response;
  });

  // Everything else needs a signed-in person with a role.
  inbox.use("*", async (c, next) => {
    const resolved = await resolvePrincipal(c, now(), { cookie: true });
    if (!resolved.ok) {
      if (c.req.method === "GET" && !c.req.path.endsWith(".json"))
        return htmlResponse(signInPage({ next: safeNext(c.req.path), message: resolved.message }), 401);
      return messagePage(401, "Not signed in", resolved.message);
    }
    if (!canView(resolved.principal))
      return messagePage(403, "No access", `${resolved.principal.identity} has no role here; ask an admin.`);
    c.set("principal", resolved.principal);
    await next();
  });

  inbox.get("/", async (c) => {
    const gates = await listGates(c.env.DB, { status: "pending" });
    const runs = await runsByIds(
      c.env.DB,
      gates.map((g) => g.run_id),
    );
    return htmlResponse(gatesPage({ principal: c.get("principal"), gates, runs, now: now() }));
  });

  inbox.get("/runs", async (c) => {
    const job = c.req.query("job") || undefined;
    const state = c.req.query("state") || undefined;
    const runs = await listRuns(c.env.DB, { job, state, limit: 100 });
    const jobs = await distinctJobs(c.env.DB);
    return htmlResponse(runsPage({ principal: c.get("principal"), runs, jobs, filter: { job, state } }));
  });

  inbox.get("/runs/:id", async (c) => {
    const run = await getRun(c.env.DB, c.req.param("id"));
    if (!run)
      return messagePage(404, "No such run", `There is no run "${c.req.param("id")}".`, c.get("principal"));
    const gates = await listGates(c.env.DB, { runId: run.id });
    const events = (await listEvents(c.env.DB, run.id, 0, 1_000)).map(withoutClaimUrl(run));
    const decided = c.req.query("decided");
    const recorded = c.req.query("recorded");
    return htmlResponse(
      runPage({
        principal: c.get("principal"),
        run,
        gates,
        events,
        now: now(),
        notice: decided
          ? `Recorded: ${decided}. The run resumes; this timeline updates by itself.`
          : recorded
            ? `Recorded: ${recorded}. The gate waits for another approver.`
            : null,
      }),
    );
  });

  // The live timeline (Server-Sent Events, see src/web/event-stream.ts); the page works without it.
  inbox.get("/runs/:id/stream", async (c) => {
    const run = await getRun(c.env.DB, c.req.param("id"));
    if (!run) return c.json({ error: { code: "not_found", message: "no such run" } }, 404);
    return eventStreamResponse({
      db: c.env.DB,
      runId: run.id,
      after: resumeAfter(c.req.header("last-event-id"), c.req.query("after")),
      render: (event) => timelineEntry(withoutClaimUrl(run)(event)),
    });
  });

  inbox.get("/runs/:id/gates/:ref", async (c) => {
    const principal = c.get("principal");
    const gate = await findGate(c.env.DB, c.req.param("id"), c.req.param("ref"));
    if (!gate)
      return messagePage(
        404,
        "No such gate",
        `Run ${c.req.param("id")} has no gate "${c.req.param("ref")}".`,
        principal,
      );
    const view = await loadGateView(c.env.DB, gate);
    const verdict = verdictFor(principal, gate);
    const csrf = await csrfToken(secretOf(c), { identity: principal.identity, scope: gate.id }, now());
    return htmlResponse(
      gatePage(view, {
        principal,
        now: now(),
        form: {
          action: `/inbox/runs/${gate.run_id}/gates/${gate.kind}-${gate.seq}`,
          csrf,
          refusal: verdict.ok ? null : verdict.message,
          approvedAlready: approvedBy(view, principal.identity),
        },
      }),
    );
  });

  inbox.post("/runs/:id/gates/:ref", async (c) => {
    const principal = c.get("principal");
    if (!sameOrigin(c))
      return messagePage(403, "Refused", "This form was posted from another site.", principal);
    const gate = await findGate(c.env.DB, c.req.param("id"), c.req.param("ref"));
    if (!gate) return messagePage(404, "No such gate", "That gate does not exist.", principal);
    const form = decisionForm.safeParse(await c.req.parseBody());
    if (!form.success)
      return messagePage(400, "Bad form", "The form was incomplete; go back and try again.", principal);
    const csrf = await checkCsrf(
      secretOf(c),
      form.data[CSRF_FIELD],
      { identity: principal.identity, scope: gate.id },
      now(),
    );
    if (!csrf.ok) return messagePage(403, "Refused (CSRF)", csrf.message, principal);
    return decideFromForm(c, {
      gate,
      principal,
      form: form.data,
      authorize: async (g) => {
        const verdict = verdictFor(principal, g);
        return verdict.ok ? null : { code: "forbidden", message: verdict.message };
      },
    });
  });

  async function getGateById(c: C, id: string): Promise<GateRow | null> {
    return getGate(c.env.DB, id);
  }

  async function decideFromForm(
    c: C,
    request: {
      gate: GateRow;
      principal: Principal;
      person?: string;
      form: z.output<typeof decisionForm>;
      authorize: Parameters<typeof decide>[1]["authorize"];
    },
  ): Promise<Response> {
    const { gate, principal, form } = request;
    const reason = form.reason.trim();
    if (form.decision === "reject" && !reason)
      return messagePage(
        400,
        "A reason is needed",
        "A rejection needs a reason. Go back and write one.",
        principal,
      );
    const result = await decide(c.env, {
      runId: gate.run_id,
      gateRef: `${gate.kind}-${gate.seq}`,
      decision: form.decision === "approve" ? "approved" : "rejected",
      by: principal.identity,
      ...(request.person ? { person: request.person } : {}),
      reason: reason || null,
      shownHash: null,
      at: now(),
      via: principal.via,
      authorize: request.authorize,
      // The page's view hash covers the gate's shown hash and the artifacts it displayed.
      check: async (g) => {
        const current = await loadGateView(c.env.DB, g);
        return current.viewHash === form.viewHash
          ? null
          : {
              code: "shown_changed",
              message:
                "What this gate rests on changed after the page was shown to you (the verification report, the diff or the gate itself). Nothing was decided. Review the gate again.",
            };
      },
    });
    if (result.ok && !result.decided) {
      const count = result.approvals ? `${result.approvals.by.length} of ${result.approvals.required}` : "";
      const note = `approval ${count} of the ${result.gate.kind} gate by ${principal.identity}`;
      return c.redirect(`/inbox/runs/${gate.run_id}?recorded=${encodeURIComponent(note)}`, 303);
    }
    if (result.ok) {
      const note = `${result.gate.kind} gate ${form.decision === "approve" ? "approved" : "rejected"} by ${principal.identity}`;
      return c.redirect(`/inbox/runs/${gate.run_id}?decided=${encodeURIComponent(note)}`, 303);
    }
    const status = result.code === "not_found" ? 404 : result.code === "forbidden" ? 403 : 409;
    const title =
      result.code === "shown_changed"
        ? "Refused: the gate changed"
        : result.code === "gate_not_pending"
          ? "Already decided"
          : result.code === "already_approved"
            ? "You approved this gate already"
            : result.code === "forbidden"
              ? "Not allowed"
              : "Not found";
    const response = messagePage(status, title, result.message, principal);
    response.headers.set("x-nightshift-refusal", result.code);
    return response;
  }

  return inbox;
}

/** The timeline never shows the claim URL (a credential), not even quoted in an error. */
function withoutClaimUrl(run: RunRow): (event: EventRow) => EventRow {
  const secrets = claimUrlsIn(run.context_json);
  return (event) => ({
    ...event,
    data_json: hideClaimUrl(event.data_json, [...secrets, ...claimUrlsIn(event.data_json)]),
  });
}

/** Whether this person approved already (a gate that needs two approvers): they may still reject. */
function approvedBy(view: GateView, person: string): boolean {
  return view.approvals.some((a) => a.approver === person);
}

function linkPrincipal(issuedTo: string, linkId: string): Principal {
  return { identity: `${issuedTo} (signed link ${linkId})`, roles: ["approver"], via: "link" };
}

function linkRefusal(code: string, message: string): Response {
  const status = code === "link_used" || code === "link_expired" ? 410 : code === "unavailable" ? 503 : 403;
  const title =
    code === "link_used" ? "Link already used" : code === "link_expired" ? "Link expired" : "Link not valid";
  const response = messagePage(status, title, message);
  response.headers.set("x-nightshift-refusal", code);
  return response;
}

/** Only redirect within the inbox (no open redirects). */
function safeNext(next: string | undefined): string {
  return next && /^\/inbox(\/[\w\-./:%?=&]*)?$/.test(next) && !next.startsWith("//") ? next : "/inbox";
}
