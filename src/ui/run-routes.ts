/**
 * One run in the inbox: its page (gates and timeline) and the live timeline
 * that updates it. The claim URL, a credential, never shows in either.
 */
import type { Hono } from "hono";
import { listEvents } from "../store/events.ts";
import { listGates } from "../store/gates.ts";
import type { EventRow, RunRow } from "../store/rows.ts";
import { getRun } from "../store/runs.ts";
import { claimUrlsIn, hideClaimUrl } from "../web/claim-url.ts";
import { eventStreamResponse, resumeAfter } from "../web/event-stream.ts";
import type { InboxEnv } from "./inbox-http.ts";
import { htmlResponse, messagePage } from "./layout.ts";
import { runPage, timelineEntry } from "./pages/run.ts";

export function mountRunRoutes(inbox: Hono<InboxEnv>, options: { now: () => number }): void {
  const { now } = options;

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
}

/** The timeline never shows the claim URL (a credential), not even quoted in an error. */
function withoutClaimUrl(run: RunRow): (event: EventRow) => EventRow {
  const secrets = claimUrlsIn(run.context_json);
  return (event) => ({
    ...event,
    data_json: hideClaimUrl(event.data_json, [...secrets, ...claimUrlsIn(event.data_json)]),
  });
}
