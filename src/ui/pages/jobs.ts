/** The inbox's jobs page: each job, its triggers, paused or not, its newest run and a link to its runs. Pure. */
import type { JobProblem } from "../../jobs/registry.ts";
import type { Job, Trigger } from "../../jobs/schema.ts";
import type { JobStateRow } from "../../store/job-state.ts";
import type { RunRow } from "../../store/rows.ts";
import type { Principal } from "../../web/roles.ts";
import { timeAgo } from "../format.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layout.ts";

/** "schedule 0 3 * * *", "webhook github (event=push, branch=main)", "by hand". */
export function triggerText(trigger: Trigger): string {
  if (trigger.kind === "schedule") return `schedule ${trigger.cron}`;
  if (trigger.kind === "webhook") {
    const filter = Object.entries(trigger.filter ?? {}).map(([k, v]) => `${k}=${v}`);
    return `webhook ${trigger.source}${filter.length ? ` (${filter.join(", ")})` : ""}`;
  }
  return "by hand";
}

function pausedCell(state: JobStateRow | undefined, now: number): Html {
  if (!state?.paused) return html`<span class="badge">active</span>`;
  return html`<span class="badge fail">paused</span> ${state.paused_at ? timeAgo(state.paused_at, now) : ""}${state.paused_by ? ` by ${state.paused_by}` : ""}${state.pause_reason ? html` · “${state.pause_reason}”` : ""}`;
}

export function jobsPage(options: {
  principal: Principal;
  jobs: readonly Job[];
  states: Map<string, JobStateRow>;
  latest: Map<string, RunRow>;
  /** Job files that did not load (did not compile, or failed the schema): the other jobs run on. */
  problems?: readonly JobProblem[];
  now: number;
}): Html {
  const { jobs, states, latest, now } = options;
  const body = jobs.length
    ? html`<table><thead><tr><th scope="col">Job</th><th scope="col">Triggers</th><th scope="col">Concurrency</th><th scope="col">Paused</th><th scope="col">Last run</th></tr></thead><tbody>
${jobs.map((job) => {
  const run = latest.get(job.name);
  return html`<tr data-job="${job.name}"><th scope="row"><a href="/inbox/runs?job=${encodeURIComponent(job.name)}">${job.name}</a>${job.description ? html`<div class="desc">${job.description}</div>` : ""}</th><td><ul class="triggers">${job.triggers.map((t) => html`<li>${triggerText(t)}</li>`)}</ul></td><td>${job.concurrency}</td><td>${pausedCell(states.get(job.name), now)}</td><td>${
    run
      ? html`<a href="/inbox/runs/${run.id}">${run.id}</a> · ${run.state} · ${timeAgo(run.created_at, now)}`
      : html`none yet`
  }</td></tr>`;
})}
</tbody></table>`
    : html`<p role="status">No jobs are defined.</p>`;
  return page({
    title: "Jobs",
    principal: options.principal,
    body: html`${problemsSection(options.problems ?? [])}${body}`,
  });
}

/** "workflows/broken.ts:3:3 does not compile: …", one line a problem, before the jobs that did load. */
function problemsSection(problems: readonly JobProblem[]): Html {
  if (problems.length === 0) return html``;
  return html`<section class="notice error" id="job-problems" role="alert"><h2>Job files that did not load</h2><p>The jobs below run on; these are left out until fixed (<code>nightshift validate</code> says the same).</p><ul>${problems.map(
    (p) =>
      html`<li><code>${p.file}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ""}</code>${p.path ? html` at <code>${p.path}</code>` : ""}: ${p.message}</li>`,
  )}</ul></section>`;
}
