/** JSON views of store rows for the API: stable field names, no internal columns. */
import type { LoopContext } from "../loop/types.ts";
import type { ApprovalRow } from "../store/gates.ts";
import type { EventRow, GateRow, RunRow } from "../store/rows.ts";

export function runView(run: RunRow) {
  const ctx = run.context_json as LoopContext | null;
  return {
    id: run.id,
    job: run.job,
    trigger: run.trigger,
    status: run.status,
    state: run.state,
    outcome: run.outcome_json,
    steps: run.step_count,
    currentStep: run.current_step,
    cancelRequested: run.cancel_requested_at !== null,
    createdAt: run.created_at,
    updatedAt: run.updated_at,
    budgets: ctx ? { limits: ctx.budgets, spent: ctx.spent } : null,
    deploymentUrl: ctx?.deploymentUrl ?? null,
    account: ctx?.account ?? null,
    snapshotId: ctx?.snapshotId ?? null,
    reportRef: ctx?.reportRef ?? null,
  };
}

/** A gate; `approvals` (who approved so far, oldest first) when it needs more than one. */
export function gateView(gate: GateRow, approvals: ApprovalRow[] = []) {
  return {
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
}

export function eventView(event: EventRow) {
  return {
    seq: event.seq,
    step: event.step,
    type: event.type,
    actor: event.actor,
    from: event.from_state,
    to: event.to_state,
    data: event.data_json,
    at: event.at,
  };
}
