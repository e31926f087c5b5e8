/**
 * One run: its state, its gates and its timeline. The timeline updates live:
 * the page script polls `/inbox/runs/:id/events.json?after=<seq>` and appends
 * new events (no page reload) until the run is final.
 */
import type { Principal } from "../../api/roles.ts";
import type { EventRow, GateRow, RunRow } from "../../store/rows.ts";
import { isoTime, timeLeft } from "../format.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layout.ts";

/** A one-line note for an event (reason of a decision, error of a failure). */
export function eventNote(event: EventRow): string {
  const data = (event.data_json ?? {}) as Record<string, unknown>;
  const reason = typeof data.reason === "string" ? data.reason : null;
  const error = data.error as { message?: string } | undefined;
  if (reason) return `“${reason}”`;
  if (error?.message) return error.message;
  // The agent's own account of a round; a replayed session's summary begins "[replay of …]".
  if (typeof data.summary === "string") return data.summary.slice(0, 300);
  return "";
}

export function timelineItem(event: EventRow): Html {
  const note = eventNote(event);
  return html`<li data-seq="${event.seq}"><strong>${event.type}</strong>${event.to_state ? ` → ${event.to_state}` : ""}<span class="meta"> ${isoTime(event.at)}${event.actor ? ` · ${event.actor}` : ""}${event.step ? ` · ${event.step}` : ""}${note ? ` · ${note}` : ""}</span></li>`;
}

export function runPage(options: {
  principal: Principal;
  run: RunRow;
  gates: GateRow[];
  events: EventRow[];
  now: number;
  notice?: string | null;
}): Html {
  const { run, gates, events, now } = options;
  const last = events.at(-1)?.seq ?? 0;
  const body = html`${options.notice ? html`<div class="notice" role="status">${options.notice}</div>` : ""}
<p>Job <strong>${run.job}</strong> · state <strong id="run-state" aria-live="polite">${run.state}</strong> · status <span id="run-status">${run.status}</span> · started ${isoTime(run.created_at)} by ${run.trigger}</p>
${
  gates.length
    ? html`<h2>Gates</h2><ul>${gates.map(
        (g) =>
          html`<li><a href="/inbox/runs/${run.id}/gates/${g.kind}-${g.seq}">${g.kind} #${g.seq}</a>: ${g.status}${
            g.status === "pending"
              ? html` (<time data-deadline="${g.deadline_at}">${timeLeft(g.deadline_at, now)}</time>)`
              : g.decided_by
                ? ` by ${g.decided_by}`
                : ""
          }</li>`,
      )}</ul>`
    : ""
}
<h2>Timeline</h2>
<ol class="timeline" aria-live="polite" data-timeline data-src="/inbox/runs/${run.id}/events.json" data-after="${last}" data-final="${run.status === "final"}">
${events.map(timelineItem)}
</ol>`;
  return page({ title: `Run ${run.id}`, principal: options.principal, body });
}
