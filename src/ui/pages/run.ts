/**
 * One run: its state, its gates and its timeline. The timeline updates live:
 * the page script opens an EventSource on `/inbox/runs/:id/stream?after=<seq>`
 * and appends new events (no page reload) until the run is final. Without
 * script, a reload shows everything.
 */
import { decideBy } from "../../store/gates.ts";
import { timeLeftFor, waitingLine } from "../deadline.ts";
import { waitingFor } from "../../web/waiting-for.ts";
import { foldRepeats, repeatKey } from "../../web/timeline.ts";
import type { Principal } from "../../web/roles.ts";
import type { EventRow, GateRow, RunRow } from "../../store/rows.ts";
import { isoTime, timeAgo } from "../format.ts";
import { CSRF_FIELD } from "../csrf.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layout.ts";

/** A one-line note for an event (reason of a decision, error of a failure). */
export function eventNote(event: EventRow): string {
  const data = (event.data_json ?? {}) as Record<string, unknown>;
  const reason = typeof data.reason === "string" ? data.reason : null;
  const error = data.error as { message?: string } | undefined;
  // A first approval of a gate that needs two: say how far it got.
  if (event.type === "gate.approvalRecorded" && typeof data.required === "number")
    return `${data.approvals} of ${data.required} approvals${reason ? ` · “${reason}”` : ""}`;
  if (reason) return `“${reason}”`;
  if (error?.message) return error.message;
  // A failed verification's failing checks (the whole report is on the step's log page).
  if (typeof data.failing === "string") return data.failing;
  // The agent's own account of a round; a replayed session's summary begins "[replay of …]".
  if (typeof data.summary === "string") return data.summary.slice(0, 300);
  return "";
}

/** The page of what step `step` of run `runId` kept (wrangler's output, setup log, report…). */
export function stepLogHref(runId: string, step: string): string {
  return `/inbox/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(step)}`;
}

/** One event as the page script renders it (the live stream's `data`), mirroring `timelineItem`. */
export function timelineEntry(event: EventRow) {
  return {
    seq: event.seq,
    type: event.type,
    to: event.to_state,
    actor: event.actor,
    step: event.step,
    log: event.step ? stepLogHref(event.run_id, event.step) : null,
    at: event.at,
    note: eventNote(event),
  };
}

/** One line of the timeline: an event, or the newest of `count` identical ones in a row (since `firstAt`). */
export function timelineItem(
  event: EventRow,
  repeat: { count: number; firstAt: number } = { count: 1, firstAt: event.at },
): Html {
  const entry = timelineEntry(event);
  const { note } = entry;
  const times =
    repeat.count > 1
      ? html`<span class="repeat" data-count="${repeat.count}">×${repeat.count}</span> ${isoTime(repeat.firstAt)} – ${isoTime(event.at)}`
      : html`${isoTime(event.at)}`;
  return html`<li data-seq="${event.seq}" data-key="${repeatKey(entry)}" data-first="${repeat.firstAt}"><strong>${event.type}</strong>${event.to_state ? ` → ${event.to_state}` : ""}<span class="meta"> ${times}${event.actor ? ` · ${event.actor}` : ""}${entry.log ? html` · <a href="${entry.log}" title="what this step kept">${event.step}</a>` : ""}${note ? ` · ${note}` : ""}</span></li>`;
}

/** The timeline with identical events in a row folded into one line (src/web/timeline.ts). */
export function timelineItems(events: readonly EventRow[]): Html {
  const entries = events.map((event) => ({ event, ...timelineEntry(event) }));
  return html`${foldRepeats(entries).map((f) =>
    timelineItem(f.last.event, { count: f.count, firstAt: f.first.at }),
  )}`;
}

export function runPage(options: {
  principal: Principal;
  run: RunRow;
  gates: GateRow[];
  events: EventRow[];
  now: number;
  notice?: string | null;
  /** Set when the run failed on infrastructure and this person may resume it. */
  resume?: { action: string; csrf: string } | null;
  /** Set when the run has ended and this person may start runs: the Run again button. */
  rerun?: { action: string; csrf: string } | null;
}): Html {
  const { run, gates, events, now } = options;
  const last = events.at(-1)?.seq ?? 0;
  const waiting = waitingFor(run, gates);
  const body = html`${options.notice ? html`<div class="notice" role="status">${options.notice}</div>` : ""}
<p>Job <strong>${run.job}</strong> · state <strong id="run-state" aria-live="polite">${run.state}</strong> · status <span id="run-status">${run.status}</span> · started ${timeAgo(run.created_at, now)} by ${run.trigger}</p>
${waiting ? html`<p class="notice" id="waiting-for" role="status">Waiting for ${waitingLine(waiting, now)}</p>` : ""}
${
  gates.length
    ? html`<h2>Gates</h2><ul>${gates.map(
        (g) =>
          html`<li><a href="/inbox/runs/${run.id}/gates/${g.kind}-${g.seq}">${g.kind} #${g.seq}</a>: ${g.status}${
            g.status === "pending"
              ? html` (${timeLeftFor(decideBy(g), now)})`
              : g.decided_by
                ? ` by ${g.decided_by}`
                : ""
          }</li>`,
      )}</ul>`
    : ""
}
${options.resume ? resumeSection(run, options.resume) : ""}
${options.rerun ? rerunSection(options.rerun) : ""}
<h2>Timeline</h2>
<ol class="timeline" aria-live="polite" aria-relevant="additions" data-timeline data-stream="/inbox/runs/${run.id}/stream" data-after="${last}" data-final="${run.status === "final"}">
${timelineItems(events)}
</ol>
${run.status === "final" ? "" : html`<p class="meta" id="live-status" role="status">This timeline updates by itself. <noscript>Without script, reload the page to see new events.</noscript></p>`}`;
  return page({ title: `Run ${run.id}`, principal: options.principal, body });
}

/** A new run of the same job with the same input, from the start (src/control/rerun.ts). */
function rerunSection(form: { action: string; csrf: string }): Html {
  return html`<form method="post" class="rerun" action="${form.action}">
<input type="hidden" name="${CSRF_FIELD}" value="${form.csrf}">
<button type="submit">Run again</button> <span class="meta">a new run of this job with the same input, from the start</span>
</form>`;
}

/** Why the run failed, and the button that resumes it from its last good step. */
function resumeSection(run: RunRow, form: { action: string; csrf: string }): Html {
  const outcome = (run.outcome_json ?? {}) as { code?: string; reason?: string };
  return html`<section class="resume" aria-labelledby="resume-title">
<h2 id="resume-title">Failed on infrastructure</h2>
<p>${outcome.reason ?? "A fault outside the loop ended the run."} <span class="meta">(${outcome.code ?? "no code"}, in ${run.aborted_in ?? "an unknown state"})</span></p>
<form method="post" action="${form.action}">
<input type="hidden" name="${CSRF_FIELD}" value="${form.csrf}">
<button type="submit">Resume</button>
<p class="meta">Resuming goes on from the last step that completed (${run.aborted_in ?? "?"}): nothing already done runs again, the budgets go on from where they were.</p>
</form>
</section>`;
}
