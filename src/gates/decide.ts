/**
 * A human decides a gate: check it is pending and that the approver saw what
 * is there now, flip the row with a conditional update (a second decision gets
 * a conflict), write the audit event, then deliver the event to the run.
 *
 * A gate that needs two approvers (`required_approvals`, a `dns` gate whose job
 * asks for it) records the first approval (`gate.approvalRecorded`) and stays
 * pending; the approval of a second, different person approves it (both in one
 * D1 transaction, see `recordApproval`); the same person again is refused
 * (`already_approved`); a rejection by anyone decides at once.
 */
import type { Env } from "../env.ts";
import { gateId, parseGateRef } from "../ports/vocabulary.ts";
import { appendEvent } from "../store/events.ts";
import { decideGate, getGate, listApprovals, listGates, recordApproval } from "../store/gates.ts";
import type { GateRow } from "../store/rows.ts";
import { deliverDecision } from "./deliver.ts";

/** Approvals so far on a gate that needs more than one: who (in order) and how many are needed. */
export interface ApprovalCount {
  required: number;
  by: string[];
}

export type DecideResult =
  | {
      ok: true;
      gate: GateRow;
      /** False when the approval was recorded but the gate waits for another approver. */
      decided: boolean;
      delivered: boolean;
      approvals: ApprovalCount | null;
    }
  | { ok: false; code: "not_found"; message: string }
  | { ok: false; code: "gate_not_pending"; message: string; gate: GateRow }
  | { ok: false; code: "already_approved"; message: string; gate: GateRow; approvals: ApprovalCount }
  | { ok: false; code: "shown_changed"; message: string; gate: GateRow }
  | { ok: false; code: "forbidden"; message: string; gate: GateRow };

/**
 * A check the caller makes once the gate is found and before it flips: may
 * this person decide it (roles), and does it still show what they saw (the
 * inbox binds to the artifacts too). Null lets the decision through.
 */
export type GateCheck = (
  gate: GateRow,
) => Promise<{ code: "forbidden" | "shown_changed"; message: string } | null>;

/** `claim` (the run's latest gate of that kind) or `claim-2` (a specific round). */
export async function findGate(db: D1Database, runId: string, ref: string): Promise<GateRow | null> {
  const named = parseGateRef(ref);
  if (!named) return null;
  if (named.seq !== null) return getGate(db, gateId(runId, named.kind, named.seq));
  const gates = (await listGates(db, { runId })).filter((g) => g.kind === named.kind);
  return gates.at(-1) ?? null;
}

export interface DecideRequest {
  runId: string;
  gateRef: string;
  decision: "approved" | "rejected";
  by: string;
  /**
   * Who counts as one approver on a gate that needs two (default: `by`). A
   * signed link counts as the person it was issued to, so two links issued to
   * the same name cannot make two approvals.
   */
  person?: string;
  reason: string | null;
  shownHash: string | null;
  at: number;
  /** How the decider authenticated (bootstrap, token, access, link): kept in the audit event. */
  via?: string;
  /** Runs first, once the gate is found: may this person decide it? */
  authorize?: GateCheck;
  /** Runs after the pending and shownHash checks, just before the flip. */
  check?: GateCheck;
}

export async function decide(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  request: DecideRequest,
): Promise<DecideResult> {
  const gate = await findGate(env.DB, request.runId, request.gateRef);
  if (!gate)
    return { ok: false, code: "not_found", message: `run ${request.runId} has no gate "${request.gateRef}"` };
  const forbidden = request.authorize ? await request.authorize(gate) : null;
  if (forbidden) return { ok: false, ...forbidden, gate };
  if (gate.status !== "pending") {
    return {
      ok: false,
      code: "gate_not_pending",
      message: `gate ${gate.kind}-${gate.seq} is already ${gate.status}`,
      gate,
    };
  }
  if (request.shownHash !== null && request.shownHash !== gate.shown_hash) {
    return {
      ok: false,
      code: "shown_changed",
      message: "what this gate shows has changed since you looked; review it again",
      gate,
    };
  }
  const refused = request.check ? await request.check(gate) : null;
  if (refused) return { ok: false, ...refused, gate };
  if (request.decision === "approved" && gate.required_approvals > 1)
    return approveTowardsQuorum(env, gate, request);
  const flipped = await decideGate(env.DB, gate.id, {
    status: request.decision,
    by: request.by,
    reason: request.reason,
    at: request.at,
  });
  const now = (await getGate(env.DB, gate.id)) ?? gate;
  if (!flipped) return notPending(gate, now);
  await appendEvent(env.DB, {
    runId: request.runId,
    step: null,
    type: `gate.${request.decision}`,
    actor: request.by,
    data: decisionData(gate, request),
    at: request.at,
  });
  const delivered = await deliverDecision(env, now);
  return { ok: true, gate: now, decided: true, delivered, approvals: null };
}

/** One approval of a gate that needs several: recorded, and the gate approved if it makes enough. */
async function approveTowardsQuorum(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  gate: GateRow,
  request: DecideRequest,
): Promise<DecideResult> {
  const person = request.person ?? request.by;
  const { recorded, decided } = await recordApproval(env.DB, {
    gateId: gate.id,
    approver: person,
    actor: request.by,
    via: request.via ?? null,
    reason: request.reason,
    shownHash: gate.shown_hash,
    at: request.at,
  });
  const now = (await getGate(env.DB, gate.id)) ?? gate;
  const approvals: ApprovalCount = {
    required: gate.required_approvals,
    by: (await listApprovals(env.DB, gate.id)).map((a) => a.approver),
  };
  if (!recorded) {
    if (now.status !== "pending") return notPending(gate, now);
    return {
      ok: false,
      code: "already_approved",
      message: `${person} already approved gate ${gate.kind}-${gate.seq}; it needs ${approvals.required} approvals from different people (${approvals.by.length} so far)`,
      gate: now,
      approvals,
    };
  }
  await appendEvent(env.DB, {
    runId: request.runId,
    step: null,
    type: decided ? "gate.approved" : "gate.approvalRecorded",
    actor: request.by,
    data: {
      ...decisionData(gate, request),
      approvals: approvals.by.length,
      required: approvals.required,
      approvers: approvals.by,
    },
    at: request.at,
  });
  if (!decided) return { ok: true, gate: now, decided: false, delivered: false, approvals };
  const delivered = await deliverDecision(env, now);
  return { ok: true, gate: now, decided: true, delivered, approvals };
}

/** The answer to a decision on a gate that was decided meanwhile (`now` is the gate as it is). */
function notPending(gate: GateRow, now: GateRow): DecideResult {
  return {
    ok: false,
    code: "gate_not_pending",
    message: `gate ${gate.kind}-${gate.seq} is already ${now.status}`,
    gate: now,
  };
}

/** What every decision event on a gate records: which gate, why, what it showed, and through which channel. */
function decisionData(gate: GateRow, request: DecideRequest) {
  return {
    gate: gate.id,
    kind: gate.kind,
    seq: gate.seq,
    reason: request.reason,
    shownHash: gate.shown_hash,
    ...(request.via ? { via: request.via } : {}),
  };
}
