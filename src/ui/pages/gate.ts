/**
 * One gate: everything the decision rests on, then approve / reject with a
 * reason. Pure rendering from a `GateView`; the form binds to its view hash.
 */
import type { Principal } from "../../api/roles.ts";
import type { LoopContext } from "../../loop/types.ts";
import { CSRF_FIELD } from "../csrf.ts";
import { parseUnifiedDiff } from "../diff.ts";
import { isoTime, timeLeft } from "../format.ts";
import type { GateView } from "../gate-view.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layout.ts";

export interface GateForm {
  action: string;
  csrf: string;
  /** Null when this person may decide; else why not. */
  refusal: string | null;
}

const ASKS: Record<string, string> = {
  tos: "Legal sign-off: accept Cloudflare's terms of service for temporary accounts on this API. Agents never accept terms.",
  claim: "Claim the temporary account (or promote the verified code into the organisation's account).",
  dns: "Apply this production DNS / custom-domain change, once, exactly as planned.",
};

function countdown(deadline: number, now: number): Html {
  return html`<time datetime="${new Date(deadline).toISOString()}" data-deadline="${deadline}">${timeLeft(deadline, now)}</time>`;
}

function link(url: unknown): Html | string {
  return typeof url === "string" && /^https?:\/\//.test(url)
    ? html`<a href="${url}" rel="noreferrer noopener" target="_blank">${url}</a>`
    : "none";
}

function reportSection(view: GateView): Html {
  if (view.report) {
    const r = view.report;
    return html`<p>Result: <strong class="${r.passed ? "pass" : "fail"}">${r.passed ? "passed" : "failed"}</strong> against <code>${r.url}</code></p>
<table><thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Expected</th><th scope="col">Actual</th></tr></thead><tbody>
${r.checks.map(
  (c) =>
    html`<tr><td>${c.name} <span class="badge">${c.kind}</span></td><td class="${c.passed ? "pass" : "fail"}">${c.passed ? "pass" : "FAIL"}</td><td><code>${c.expected}</code></td><td><code>${c.actual}</code>${c.excerpt ? html`<pre>${c.excerpt}</pre>` : ""}</td></tr>`,
)}
</tbody></table>`;
  }
  if (view.reportText) return html`<pre>${view.reportText}</pre>`;
  return html`<p>No verification report is attached to this gate.</p>`;
}

function diffSection(view: GateView): Html {
  if (!view.diff) return html`<p>No diff was recorded for this run.</p>`;
  return html`${parseUnifiedDiff(view.diff).map(
    (file) =>
      html`<details open><summary><code>${file.path}</code></summary><pre class="diff">${file.lines.map(
        (l) => html`<span class="${l.kind}">${l.text}</span>\n`,
      )}</pre></details>`,
  )}`;
}

interface DnsPlanShown {
  zone?: string;
  requestedHostname?: string;
  hostname?: string;
  mode?: string;
  workerName?: string;
  mismatch?: boolean;
}

/** The DNS plan, before → after; a planned hostname that differs from the requested one is red. */
export function dnsSection(plan: DnsPlanShown | undefined): Html {
  if (!plan) return html`<p>No DNS plan.</p>`;
  const mismatch = Boolean(plan.mismatch) || (plan.requestedHostname ?? plan.hostname) !== plan.hostname;
  return html`${
    mismatch
      ? html`<div class="notice error mismatch" role="alert" data-testid="dns-mismatch">Hostname mismatch: you asked for <code>${plan.requestedHostname}</code> but the plan changes <code>${plan.hostname}</code>. Do not approve; the change is blocked.</div>`
      : ""
  }
<table><thead><tr><th scope="col">Record</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>
<tr class="${mismatch ? "mismatch-row" : ""}"><td>${plan.mode === "route" ? "route" : "custom domain"} in zone <code>${plan.zone}</code></td><td>no record for <code>${plan.requestedHostname ?? plan.hostname}</code></td><td class="${mismatch ? "mismatch" : ""}"><code>${plan.hostname}</code> → Worker <code>${plan.workerName}</code></td></tr>
</tbody></table>
<p>Requested hostname: <code>${plan.requestedHostname}</code> · planned: <code class="${mismatch ? "mismatch" : ""}">${plan.hostname}</code></p>`;
}

function budgetSection(view: GateView): Html {
  const ctx = view.run?.context_json as LoopContext | null | undefined;
  if (!ctx) return html`<p>No budget recorded yet.</p>`;
  const rows: Array<[string, number, number]> = [
    ["iterations", ctx.spent.iterations, ctx.budgets.maxIterations],
    ["deploys", ctx.spent.deploys, ctx.budgets.maxDeploys],
    ["tokens", ctx.spent.tokens, ctx.budgets.maxTokens],
    ["cost (USD)", Number(ctx.spent.costUsd.toFixed(4)), ctx.budgets.maxCostUsd],
  ];
  return html`<table><thead><tr><th scope="col">Budget</th><th scope="col">Spent</th><th scope="col">Limit</th></tr></thead><tbody>
${rows.map(([name, spent, limit]) => html`<tr><td>${name}</td><td>${spent}</td><td>${limit}</td></tr>`)}
</tbody></table>`;
}

function formSection(view: GateView, form: GateForm): Html {
  if (view.gate.status !== "pending")
    return html`<div class="notice" role="status">This gate is <strong>${view.gate.status}</strong>${view.gate.decided_by ? html` by ${view.gate.decided_by}` : ""}${view.gate.reason ? html`: “${view.gate.reason}”` : ""}.</div>`;
  if (form.refusal)
    return html`<div class="notice" role="status">You cannot decide this gate: ${form.refusal}</div>`;
  return html`<form class="decide" method="post" action="${form.action}">
<input type="hidden" name="${CSRF_FIELD}" value="${form.csrf}">
<input type="hidden" name="viewHash" value="${view.viewHash}">
<label for="reason">Reason (required to reject)</label>
<textarea id="reason" name="reason" rows="3" maxlength="2000"></textarea>
<div><button type="submit" name="decision" value="approve">Approve</button><button type="submit" name="decision" value="reject">Reject</button></div>
<p class="meta">Your decision binds to what this page shows (<code>${view.viewHash.slice(0, 19)}…</code>); if it changes before you submit, the decision is refused.</p>
</form>`;
}

export function gatePage(
  view: GateView,
  options: { principal: Principal; now: number; form: GateForm },
): Html {
  const { gate, shown } = view;
  const { now } = options;
  const job = view.run?.job ?? String(shown.job ?? "");
  const claimExpires = typeof shown.accountExpiresAt === "number" ? shown.accountExpiresAt : null;
  const body = html`<p><span class="badge">${gate.kind}</span> gate #${gate.seq} of run <a href="/inbox/runs/${gate.run_id}">${gate.run_id}</a> (job <strong>${job}</strong>) · status <strong id="gate-status">${gate.status}</strong></p>
<p>${ASKS[gate.kind] ?? ""}</p>
<dl>
<dt>Opened</dt><dd>${isoTime(gate.opened_at)}</dd>
<dt>Decide by</dt><dd>${isoTime(gate.deadline_at)} (${gate.status === "pending" ? countdown(gate.deadline_at, now) : "closed"})</dd>
<dt>Worker</dt><dd><code>${String(shown.worker ?? "")}</code>, snapshot <code>${String(shown.verifiedSnapshotId ?? shown.snapshotId ?? "none")}</code></dd>
${gate.kind !== "tos" ? html`<dt>Live preview</dt><dd>${link(shown.deploymentUrl ?? (view.run?.context_json as LoopContext | null)?.deploymentUrl)}</dd>` : ""}
${
  gate.kind === "claim"
    ? html`<dt>Claim URL</dt><dd>${link(shown.claimUrl)}${claimExpires ? html` · account expires ${isoTime(claimExpires)} (<span id="claim-countdown">${countdown(claimExpires, now)}</span>)` : ""}</dd>`
    : ""
}
${gate.kind === "tos" ? html`<dt>Terms</dt><dd>${link(shown.termsUrl)} · ${link(shown.privacyUrl)} for <code>${String(shown.apiBase ?? "")}</code></dd>` : ""}
${gate.kind === "dns" && shown.promotedUrl ? html`<dt>Promoted URL</dt><dd>${link(shown.promotedUrl)}</dd>` : ""}
</dl>
${gate.kind === "dns" ? html`<h2>DNS change plan</h2>${dnsSection(shown.plan as DnsPlanShown | undefined)}` : ""}
${gate.kind !== "tos" ? html`<h2>Verification report</h2>${reportSection(view)}<h2>Diff</h2>${diffSection(view)}` : ""}
<h2>Agent summary</h2>
<p>${view.summary ?? "The agent left no summary."}</p>
<h2>Budget spent</h2>
${budgetSection(view)}
${formSection(view, options.form)}`;
  return page({ title: `${gate.kind} gate · ${gate.run_id}`, principal: options.principal, body });
}
