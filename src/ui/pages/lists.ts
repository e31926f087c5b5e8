/** The inbox's list pages: pending gates (oldest first, time left) and runs (filterable). Pure. */
import { decideBy } from "../../store/gates.ts";
import { timeLeftFor, waitingLine } from "../deadline.ts";
import { waitingFor } from "../../web/waiting-for.ts";
import type { Principal } from "../../web/roles.ts";
import { RUN_STATES } from "../../ports/vocabulary.ts";
import type { GateRow, RunRow } from "../../store/rows.ts";
import type { LoopContext } from "../../loop/types.ts";
import { costUsd, runDuration, timeAgo } from "../format.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layout.ts";

export function gatesPage(options: {
  principal: Principal;
  gates: GateRow[];
  runs: Map<string, RunRow>;
  now: number;
}): Html {
  const { gates, runs, now } = options;
  const body = gates.length
    ? html`<p>${gates.length} gate${gates.length === 1 ? "" : "s"} waiting, oldest first.</p>
<table><thead><tr><th scope="col">Gate</th><th scope="col">Job</th><th scope="col">Run</th><th scope="col">Opened</th><th scope="col">Time left</th></tr></thead><tbody>
${gates.map(
  (g) =>
    html`<tr data-gate="${g.id}"><td><a href="/inbox/runs/${g.run_id}/gates/${g.kind}-${g.seq}">${g.kind} #${g.seq}</a></td><td>${runs.get(g.run_id)?.job ?? ""}</td><td><a href="/inbox/runs/${g.run_id}">${g.run_id}</a></td><td>${timeAgo(g.opened_at, now)}</td><td>${timeLeftFor(decideBy(g), now)}</td></tr>`,
)}
</tbody></table>`
    : html`<p role="status">No gate is waiting for a decision.</p>`;
  return page({ title: "Gates waiting", principal: options.principal, body });
}

export function runsPage(options: {
  principal: Principal;
  runs: RunRow[];
  /** Pending gates by run: what each run waits for. */
  pending: Map<string, GateRow[]>;
  jobs: string[];
  filter: { job?: string; state?: string };
  now: number;
}): Html {
  const { runs, jobs, filter, pending, now } = options;
  const select = (name: string, label: string, values: readonly string[], current?: string) =>
    html`<div><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}"><option value="">any</option>${values.map(
      (v) => html`<option value="${v}"${v === current ? html` selected` : ""}>${v}</option>`,
    )}</select></div>`;
  const body = html`<form class="filters" method="get" action="/inbox/runs" aria-label="Filter runs">
${select("job", "Job", jobs, filter.job)}${select("state", "State", RUN_STATES, filter.state)}
<div><button type="submit">Filter</button></div></form>
${
  runs.length
    ? html`<table><thead><tr><th scope="col">Run</th><th scope="col">Job</th><th scope="col">State</th><th scope="col">Status</th><th scope="col">Waiting for</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Cost</th></tr></thead><tbody>
${runs.map(
  (r) =>
    html`<tr data-run="${r.id}"><td><a href="/inbox/runs/${r.id}">${r.id}</a></td><td>${r.job}</td><td>${r.state}</td><td>${r.status}</td><td>${waitingLine(waitingFor(r, pending.get(r.id) ?? []), now)}</td><td>${timeAgo(r.created_at, now)}</td><td class="num">${runDuration(r, now)}</td><td class="num">${costUsd((r.context_json as LoopContext | null)?.spent?.costUsd)}</td></tr>`,
)}</tbody></table>`
    : html`<p role="status">No runs match.</p>`
}`;
  return page({ title: "Runs", principal: options.principal, body });
}
