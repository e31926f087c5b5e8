/**
 * JSON views of store rows for the API: stable field names, no internal
 * columns. The claim URL is in a run or claim-gate view only when the caller
 * may decide the claim gate (`claim-url.ts`); hidden unless asked for.
 */
import { resumeRefusal } from "../control/resume.ts";
import { projectRelativeDeep } from "../jobs/display-paths.ts";
import type { Job } from "../jobs/schema.ts";
import type { LoopContext } from "../loop/types.ts";
import { openableUrl } from "../ports/emulator-urls.ts";
import { claimUrlsIn, hideClaimUrl } from "../web/claim-url.ts";
import { waitingFor } from "../web/waiting-for.ts";
import { type ApprovalRow, decideBy } from "../store/gates.ts";
import type { EventRow, GateRow, RunRow } from "../store/rows.ts";

export interface ViewOptions {
  /** The caller may decide this run's claim gate, so may see its claim URL. */
  showClaimUrl: boolean;
  /** Local mode's emulator (EMULATOR_URL), which serves the previews: `previewUrl` goes through it. */
  emulatorUrl?: string | undefined;
}
const HIDDEN: ViewOptions = { showClaimUrl: false };

/** A run; `gates` (its gates, or at least its pending ones) say what it waits for. */
export function runView(run: RunRow, options: ViewOptions = HIDDEN, gates: readonly GateRow[] = []) {
  const ctx = run.context_json as LoopContext | null;
  const view = {
    id: run.id,
    job: run.job,
    trigger: run.trigger,
    status: run.status,
    state: run.state,
    outcome: run.outcome_json,
    steps: run.step_count,
    currentStep: run.current_step,
    waitingFor: waitingFor(run, gates),
    cancelRequested: run.cancel_requested_at !== null,
    /** How often it was resumed, and whether it can be now (failed on infrastructure). */
    resumes: run.resumes,
    resumable: resumeRefusal(run) === null,
    createdAt: run.created_at,
    updatedAt: run.updated_at,
    budgets: ctx ? { limits: ctx.budgets, spent: ctx.spent } : null,
    deploymentUrl: ctx?.deploymentUrl ?? null,
    /** Where to open the preview from here: `deploymentUrl`, or in local mode the emulator's address for it. */
    previewUrl: openableUrl(ctx?.deploymentUrl, options.emulatorUrl),
    account: ctx?.account ?? null,
    snapshotId: ctx?.snapshotId ?? null,
    reportRef: ctx?.reportRef ?? null,
  };
  return options.showClaimUrl ? view : hideClaimUrl(view, claimUrlsIn(ctx));
}

/** A gate; `approvals` (who approved so far, oldest first) when it needs more than one. */
export function gateView(gate: GateRow, approvals: ApprovalRow[] = [], options: ViewOptions = HIDDEN) {
  const view = {
    id: gate.id,
    ref: `${gate.kind}-${gate.seq}`,
    runId: gate.run_id,
    kind: gate.kind,
    seq: gate.seq,
    status: gate.status,
    approvers: gate.approvers_json,
    shown: gate.shown_json,
    shownHash: gate.shown_hash,
    openedAt: gate.opened_at,
    deadlineAt: gate.deadline_at,
    /** The one deadline to show: the earlier of the timeout and what the gate depends on (store/gates.ts). */
    decideBy: decideBy(gate),
    decidedAt: gate.decided_at,
    decidedBy: gate.decided_by,
    reason: gate.reason,
    requiredApprovals: gate.required_approvals,
    /** When the temporary account was claimed before this claim gate was approved (null: not seen). */
    claimedBeforeApprovalAt: gate.claimed_before_approval_at,
    ...(gate.required_approvals > 1
      ? { approvals: approvals.map((a) => ({ by: a.approver, actor: a.actor, at: a.at, reason: a.reason })) }
      : {}),
  };
  return options.showClaimUrl ? view : hideClaimUrl(view, claimUrlsIn(gate.shown_json));
}

/**
 * An audit event, for every reader without the claim URL: a `deploy.done`
 * carries the account, and free text (an error) may quote the URL, so the
 * run's known claim URLs (`secretsOf`) are scrubbed from strings too. Sandbox paths in its
 * data are made relative to the job's project (`source`, src/jobs/display-paths.ts).
 */
export function eventView(
  event: EventRow,
  secrets: readonly string[] = [],
  source: Job["source"] | null = null,
) {
  const view = {
    seq: event.seq,
    step: event.step,
    type: event.type,
    actor: event.actor,
    from: event.from_state,
    to: event.to_state,
    data: projectRelativeDeep(event.data_json, source),
    at: event.at,
  };
  return hideClaimUrl(view, [...secrets, ...claimUrlsIn(event.data_json)]);
}

/** The claim URLs a run's context knows of, to scrub from its events. */
export function claimSecretsOf(run: RunRow): string[] {
  return claimUrlsIn(run.context_json);
}
