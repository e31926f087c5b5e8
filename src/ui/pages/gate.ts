/**
 * One gate: everything the decision rests on, then approve / reject with a
 * reason. Pure rendering from a `GateView`; the form binds to its view hash.
 */
import { decideBy } from "../../store/gates.ts";
import { countdown, decideByLine } from "../deadline.ts";
import type { Principal } from "../../web/roles.ts";
import type { LoopContext } from "../../loop/types.ts";
import { type DnsResource, dnsPlanSchema } from "../../ports/dns.ts";
import { openableUrl } from "../../ports/emulator-urls.ts";
import { CSRF_FIELD } from "../csrf.ts";
import { type DiffFile, parseUnifiedDiff } from "../diff.ts";
import { isoTime, timeAgo } from "../format.ts";
import { bindingSection } from "../gate-binding.ts";
import type { GateView } from "../../gates/view.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layout.ts";

export interface GateForm {
  action: string;
  csrf: string;
  /** Null when this person may decide (and so may see the claim URL, a credential); else why not. */
  refusal: string | null;
  /** This person approved already (a gate that needs two approvers): only rejecting is left to them. */
  approvedAlready?: boolean;
}

const ASKS: Record<string, string> = {
  tos: "Legal sign-off: accept Cloudflare's terms of service for temporary accounts on this API. Agents never accept terms.",
  claim: "Claim the temporary account (or promote the verified code into the organisation's account).",
  dns: "Apply this production DNS / custom-domain change, once, exactly as planned.",
  rollback: "Undo another run's production DNS change: apply this inverse plan, once, exactly as shown.",
};

function link(url: unknown): Html | string {
  return typeof url === "string" && /^https?:\/\//.test(url)
    ? html`<a href="${url}" rel="noreferrer noopener" target="_blank">${url}</a>`
    : "none";
}

/**
 * The live preview: its public URL and, in local mode, the emulator's address for it beside it,
 * the one a browser here can open (`*.workers.dev` has no DNS offline).
 */
function previewItem(url: unknown, emulatorUrl: string | undefined): Html {
  const local = openableUrl(url, emulatorUrl);
  return html`<dt>Live preview</dt><dd>${link(url)}${emulatorUrl && local ? html` · open here: <a id="local-preview" href="${local}" rel="noreferrer noopener" target="_blank">${local}</a> (through the local emulator)` : ""}</dd>`;
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

function diffFiles(files: DiffFile[], open: boolean): Html {
  return html`${files.map(
    (file) =>
      html`<details${open ? " open" : ""}><summary><code>${file.path}</code></summary><pre class="diff">${file.lines.map(
        (l) => html`<span class="${l.kind}">${l.text}</span>\n`,
      )}</pre></details>`,
  )}`;
}

/** The file list, then each file's unified diff. */
function changeOf(text: string, open: boolean): Html {
  const files = parseUnifiedDiff(text);
  if (files.length === 0) return html`<p>No files changed.</p>`;
  return html`<p class="files">${files.length} file${files.length === 1 ? "" : "s"} changed: ${files.map(
    (f, i) => html`${i ? ", " : ""}<code>${f.path}</code>`,
  )}</p>${diffFiles(files, open)}`;
}

/** The step a round diff came from, from its ref `<run>:<step>:round-diff`. */
function roundLabel(runId: string, ref: string): string {
  return ref.replace(`${runId}:`, "").replace(/:round-diff$/, "");
}

/**
 * The run's whole change first (the file list, then each file's unified diff), then what each
 * round changed, folded: the change is what an approval is about, the rounds say how it came.
 */
export function diffSection(view: Pick<GateView, "diff" | "roundDiffs" | "gate">): Html {
  const rounds = view.roundDiffs;
  if (view.diff === null && rounds.length === 0) return html`<p>No diff was recorded for this run.</p>`;
  const net =
    view.diff === null
      ? html`<p>The run's whole change is not available (its Sandbox was replaced after the first round); each round's change follows.</p>`
      : changeOf(view.diff, true);
  const byRound = rounds.length
    ? html`<details><summary>By round (${rounds.length})</summary>${rounds.map(
        (r) => html`<h3>${roundLabel(view.gate.run_id, r.ref)}</h3>${changeOf(r.body, false)}`,
      )}</details>`
    : html``;
  return html`${net}${byRound}`;
}

/** A resource as the plan shows it, in one line. */
function resourceText(r: DnsResource | null): string {
  if (!r) return "none";
  switch (r.kind) {
    case "record":
      return `${r.type} ${r.name} → ${r.content}${r.proxied ? " (proxied)" : ""}${r.ttl === 1 ? "" : `, TTL ${r.ttl}`}`;
    case "custom-domain":
      return `custom domain ${r.hostname} → Worker ${r.service}`;
    case "route":
      return `route ${r.pattern} → Worker ${r.script}`;
  }
}

/**
 * The DNS plan: each resource before → after, as read from the zone when the plan was made.
 * A planned hostname that differs from the requested one, and every policy finding, is red.
 */
export function dnsSection(shownPlan: unknown): Html {
  const parsed = dnsPlanSchema.safeParse(shownPlan);
  if (!parsed.success) return html`<p>No DNS plan.</p>`;
  const plan = parsed.data;
  const mismatch = plan.requestedHostname.toLowerCase() !== plan.hostname.toLowerCase();
  const blocking = plan.findings.filter((f) => f.blocking);
  return html`${
    mismatch
      ? html`<div class="notice error mismatch" role="alert" data-testid="dns-mismatch">Hostname mismatch: you asked for <code>${plan.requestedHostname}</code> but the plan changes <code>${plan.hostname}</code>. Do not approve; the change is blocked.</div>`
      : ""
  }${
    plan.findings.length
      ? html`<ul class="findings" ${blocking.length ? html`role="alert"` : ""}>${plan.findings.map(
          (f) => html`<li class="${f.blocking ? "mismatch" : ""}"><code>${f.code}</code>: ${f.message}</li>`,
        )}</ul>`
      : ""
  }
<p>Zone <code>${plan.zone.name}</code> (account <code>${plan.accountId}</code>) read ${isoTime(plan.readAt)} · ${plan.mode === "route" ? "Workers route" : "Workers custom domain"} for Worker <code>${plan.workerName}</code></p>
<table><thead><tr><th scope="col">Change</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>
${plan.changes.map((c) => {
  const names = [c.before, c.after].map((r) =>
    r?.kind === "record"
      ? r.name
      : r?.kind === "custom-domain"
        ? r.hostname
        : r?.kind === "route"
          ? r.pattern.replace(/\/.*$/, "")
          : "",
  );
  const off = mismatch && names.some((n) => n.toLowerCase() === plan.hostname.toLowerCase());
  return html`<tr class="${off ? "mismatch-row" : ""}" data-action="${c.action}"><td><strong>${c.action}</strong> <code>${c.key}</code></td><td><code>${resourceText(c.before)}</code></td><td class="${off ? "mismatch" : ""}"><code>${resourceText(c.after)}</code></td></tr>`;
})}
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

/** "1 of 2 approvals, by X": a gate that needs two different approvers says who approved so far. */
function approvalsSection(view: GateView): Html | string {
  const { gate, approvals } = view;
  if (gate.required_approvals <= 1) return "";
  const who = approvals.map(
    (a) => html`<strong>${a.approver}</strong> (${isoTime(a.at)}${a.reason ? html`: “${a.reason}”` : ""})`,
  );
  return html`<p class="notice" role="status" data-testid="approvals">${approvals.length} of ${gate.required_approvals} approvals${
    approvals.length ? html`, by ${who.map((w, i) => html`${i ? ", " : ""}${w}`)}` : ""
  }.${gate.status === "pending" ? ` This gate needs ${gate.required_approvals} different people to approve; a rejection by anyone decides it.` : ""}</p>`;
}

function formSection(view: GateView, form: GateForm): Html {
  if (view.gate.status !== "pending")
    return html`<div class="notice" role="status">This gate is <strong>${view.gate.status}</strong>${view.gate.decided_by ? html` by ${view.gate.decided_by}` : ""}${view.gate.reason ? html`: “${view.gate.reason}”` : ""}.</div>`;
  if (form.refusal)
    return html`<div class="notice" role="status">You cannot decide this gate: ${form.refusal}</div>`;
  return html`<form class="decide" method="post" action="${form.action}">
<input type="hidden" name="${CSRF_FIELD}" value="${form.csrf}">
<input type="hidden" name="viewHash" value="${view.viewHash}">
${form.approvedAlready ? html`<p role="status">You approved this gate already; it waits for another approver. You can still reject it.</p>` : ""}
<label for="reason">Reason (required to reject)</label>
<textarea id="reason" name="reason" rows="3" maxlength="2000"></textarea>
<div>${form.approvedAlready ? "" : html`<button type="submit" name="decision" value="approve">Approve</button>`}<button type="submit" name="decision" value="reject">Reject</button></div>
<p class="meta">Your decision binds to what this page shows (<code>${view.viewHash.slice(0, 19)}…</code>); if it changes before you submit, the decision is refused.</p>
</form>`;
}

export function gatePage(
  view: GateView,
  /** `emulatorUrl`: local mode's emulator, which serves the previews (EMULATOR_URL). */
  options: { principal: Principal; now: number; form: GateForm; emulatorUrl?: string | undefined },
): Html {
  const { gate, shown } = view;
  const { now } = options;
  const job = view.run?.job ?? String(shown.job ?? "");
  const claimExpires = typeof shown.accountExpiresAt === "number" ? shown.accountExpiresAt : null;
  const body = html`<p><span class="badge">${gate.kind}</span> gate #${gate.seq} of run <a href="/inbox/runs/${gate.run_id}">${gate.run_id}</a> (job <strong>${job}</strong>) · status <strong id="gate-status">${gate.status}</strong></p>
<p>${ASKS[gate.kind] ?? ""}</p>
${bindingSection(view)}
<dl>
<dt>Opened</dt><dd>${timeAgo(gate.opened_at, now)}</dd>
<dt>Decide by</dt><dd id="decide-by">${gate.status === "pending" ? decideByLine(decideBy(gate), now) : html`${isoTime(gate.deadline_at)} (closed)`}</dd>
<dt>Worker</dt><dd><code>${String(shown.worker ?? "")}</code>, snapshot <code>${String(shown.verifiedSnapshotId ?? shown.snapshotId ?? "none")}</code></dd>
${gate.kind !== "tos" ? previewItem(shown.deploymentUrl ?? (view.run?.context_json as LoopContext | null)?.deploymentUrl, options.emulatorUrl) : ""}
${
  gate.kind === "claim"
    ? html`<dt>Claim URL</dt><dd>${options.form.refusal === null ? link(shown.claimUrl) : html`<span id="claim-url-hidden">hidden: only those who may decide this gate see it</span>`}${claimExpires ? html` · account expires ${isoTime(claimExpires)} (<span id="claim-countdown">${countdown(claimExpires, now)}</span>)` : ""}</dd>`
    : ""
}
${gate.kind === "tos" ? html`<dt>Terms</dt><dd>${link(shown.termsUrl)} · ${link(shown.privacyUrl)} for <code>${String(shown.apiBase ?? "")}</code></dd>` : ""}
${gate.kind === "dns" && shown.promotedUrl ? html`<dt>Promoted URL</dt><dd>${link(shown.promotedUrl)}</dd>` : ""}
${gate.kind === "rollback" ? html`<dt>Undoes</dt><dd>the DNS change of run <a href="/inbox/runs/${String(shown.rollbackOf ?? "")}">${String(shown.rollbackOf ?? "")}</a></dd>` : ""}
</dl>
${gate.kind === "dns" || gate.kind === "rollback" ? html`<h2>${gate.kind === "rollback" ? "Rollback plan" : "DNS change plan"}</h2>${dnsSection(shown.plan)}` : ""}
${gate.kind !== "tos" && gate.kind !== "rollback" ? html`<h2>Verification report</h2>${reportSection(view)}<h2>Diff</h2>${diffSection(view)}` : ""}
<h2>Agent summary</h2>
<p>${view.summary ?? "The agent left no summary."}</p>
<h2>Budget spent</h2>
${budgetSection(view)}
${approvalsSection(view)}
${formSection(view, options.form)}`;
  return page({ title: `${gate.kind} gate · ${gate.run_id}`, principal: options.principal, body });
}
