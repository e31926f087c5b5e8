/**
 * Gate rows: pending → approved | rejected | expired | cancelled, decided
 * once by a conditional update. The row is the truth about a decision; the
 * Workflow event only wakes the run, which then reads the row. A gate that
 * needs two approvers counts approvals in `gate_approvals` and flips in the
 * same transaction as the approval that completes the count.
 */
import { invariantBroken } from "../ports/invariant.ts";
import { z } from "zod";
import type { GateKind, GateStatus } from "../ports/vocabulary.ts";
import { type GateRow, gateRow, parseRows } from "./rows.ts";

export interface NewGate {
  id: string;
  runId: string;
  kind: GateKind;
  seq: number;
  eventType: string;
  approvers: string[];
  shown: unknown;
  shownHash: string;
  openedAt: number;
  deadlineAt: number;
  /** Different people who must approve (default 1). */
  requiredApprovals?: number;
}

/** Opens a gate; opening the same gate again (a retried step) keeps the first row. */
export async function openGate(db: D1Database, gate: NewGate): Promise<GateRow> {
  await db
    .prepare(
      `INSERT INTO gates (id, run_id, kind, seq, event_type, status, approvers_json, shown_json, shown_hash, opened_at, deadline_at, required_approvals)
       VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING`,
    )
    .bind(
      gate.id,
      gate.runId,
      gate.kind,
      gate.seq,
      gate.eventType,
      JSON.stringify(gate.approvers),
      JSON.stringify(gate.shown),
      gate.shownHash,
      gate.openedAt,
      gate.deadlineAt,
      gate.requiredApprovals ?? 1,
    )
    .run();
  const row = await getGate(db, gate.id);
  if (!row) invariantBroken(`gate ${gate.id} vanished after insert`);
  return row;
}

export async function getGate(db: D1Database, id: string): Promise<GateRow | null> {
  const row = await db.prepare(`SELECT * FROM gates WHERE id = ?1`).bind(id).first();
  return row ? gateRow.parse(row) : null;
}

export async function listGates(
  db: D1Database,
  filter: { runId?: string; status?: GateStatus },
): Promise<GateRow[]> {
  const where: string[] = [];
  const args: string[] = [];
  if (filter.runId) where.push(`run_id = ?${args.push(filter.runId)}`);
  if (filter.status) where.push(`status = ?${args.push(filter.status)}`);
  const { results } = await db
    .prepare(
      `SELECT * FROM gates ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY opened_at ASC, id ASC`,
    )
    .bind(...args)
    .all();
  return parseRows(gateRow, results);
}

export interface Decision {
  status: Exclude<GateStatus, "pending">;
  by: string;
  reason: string | null;
  at: number;
}

/** Flips a pending gate; false when it was already decided (the caller answers 409). */
export async function decideGate(db: D1Database, id: string, decision: Decision): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE gates SET status = ?2, decided_by = ?3, reason = ?4, decided_at = ?5
       WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, decision.status, decision.by, decision.reason, decision.at)
    .run();
  return result.meta.changes === 1;
}

/** Records, once, that the gate's account was claimed before the gate was approved; true the first time. */
export async function markClaimedBeforeApproval(
  db: D1Database,
  id: string,
  claimedAt: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE gates SET claimed_before_approval_at = ?2 WHERE id = ?1 AND claimed_before_approval_at IS NULL`,
    )
    .bind(id, claimedAt)
    .run();
  return result.meta.changes === 1;
}

export async function markDelivered(db: D1Database, id: string, at: number): Promise<void> {
  await db
    .prepare(`UPDATE gates SET delivered_at = ?2 WHERE id = ?1 AND delivered_at IS NULL`)
    .bind(id, at)
    .run();
}

/** Pending gates whose deadline has passed: the sweeper expires them. */
export async function overdueGates(db: D1Database, now: number): Promise<GateRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM gates WHERE status = 'pending' AND deadline_at <= ?1 ORDER BY deadline_at`)
    .bind(now)
    .all();
  return parseRows(gateRow, results);
}

/** Decided gates whose decision has not yet reached the run: the sweeper re-sends them. */
export async function undeliveredGates(db: D1Database): Promise<GateRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM gates WHERE status != 'pending' AND delivered_at IS NULL ORDER BY decided_at`)
    .all();
  return parseRows(gateRow, results);
}

/**
 * When a pending gate must be decided by: its own timeout, or sooner what it depends on. A
 * claim gate depends on its temporary account (`shown.accountExpiresAt`): once the account
 * expires there is nothing left to claim, whatever the gate's timeout says. `other` is the
 * later of the two, shown beside it. Pure; `DECIDE_BY_SQL` says the same in SQL.
 */
export interface DecideBy {
  at: number;
  because: "timeout" | "account_expiry";
  other: { at: number; because: "timeout" | "account_expiry" } | null;
}
export function decideBy(gate: Pick<GateRow, "deadline_at" | "shown_json">): DecideBy {
  const shown = gate.shown_json as Record<string, unknown> | null;
  const expires = typeof shown?.accountExpiresAt === "number" ? shown.accountExpiresAt : null;
  const timeout = { at: gate.deadline_at, because: "timeout" as const };
  if (expires === null) return { ...timeout, other: null };
  const account = { at: expires, because: "account_expiry" as const };
  return expires < gate.deadline_at ? { ...account, other: timeout } : { ...timeout, other: account };
}
const DECIDE_BY_SQL = `MIN(deadline_at, COALESCE(json_extract(shown_json, '$.accountExpiresAt'), deadline_at))`;

/**
 * How long before it must be decided (`decideBy`) a pending gate is announced as about to
 * expire: an hour, or a tenth of the time it was open for when that is shorter (a 24 h gate
 * warns 1 h ahead, a claim gate whose account lasts 1 h warns 6 min ahead). Pure; the SQL in
 * `gatesToWarn` computes the same.
 */
export const EXPIRY_WARNING_MAX_MS = 3_600_000;
export function expiryWarningLeadMs(gate: Pick<GateRow, "opened_at" | "deadline_at" | "shown_json">): number {
  return Math.min(EXPIRY_WARNING_MAX_MS, Math.floor((decideBy(gate).at - gate.opened_at) / 10));
}

/** Pending gates inside their warning window (see `expiryWarningLeadMs`) not yet warned about. */
export async function gatesToWarn(db: D1Database, now: number): Promise<GateRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM gates WHERE status = 'pending' AND expiry_warned_at IS NULL AND ${DECIDE_BY_SQL} > ?1
         AND ${DECIDE_BY_SQL} - ?1 <= MIN(?2, (${DECIDE_BY_SQL} - opened_at) / 10)
       ORDER BY ${DECIDE_BY_SQL}`,
    )
    .bind(now, EXPIRY_WARNING_MAX_MS)
    .all();
  return parseRows(gateRow, results);
}

/** Claims the "about to expire" notice of a still pending gate; true for the one caller that may send it. */
export async function claimExpiryWarning(db: D1Database, id: string, at: number): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE gates SET expiry_warned_at = ?2 WHERE id = ?1 AND status = 'pending' AND expiry_warned_at IS NULL`,
    )
    .bind(id, at)
    .run();
  return result.meta.changes === 1;
}

/** Claims the "expired" notice of an expired gate; true for the one caller that may send it. */
export async function claimExpiryNotice(db: D1Database, id: string, at: number): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE gates SET expiry_noticed_at = ?2 WHERE id = ?1 AND status = 'expired' AND expiry_noticed_at IS NULL`,
    )
    .bind(id, at)
    .run();
  return result.meta.changes === 1;
}

/** Expired gates whose "expired" notice was never sent (expired by a run that did not send it). */
export async function unnoticedExpiredGates(db: D1Database, limit = 50): Promise<GateRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM gates WHERE status = 'expired' AND expiry_noticed_at IS NULL ORDER BY decided_at LIMIT ?1`,
    )
    .bind(limit)
    .all();
  return parseRows(gateRow, results);
}

export const approvalRow = z.object({
  gate_id: z.string(),
  approver: z.string(),
  actor: z.string(),
  via: z.string().nullable(),
  reason: z.string().nullable(),
  shown_hash: z.string(),
  at: z.number(),
});
export type ApprovalRow = z.output<typeof approvalRow>;

/** Approvals recorded on one gate, oldest first. */
export async function listApprovals(db: D1Database, gateId: string): Promise<ApprovalRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM gate_approvals WHERE gate_id = ?1 ORDER BY at, approver`)
    .bind(gateId)
    .all();
  return parseRows(approvalRow, results);
}

/** Approvals on every gate of a run, by gate id. */
export async function approvalsOfRun(db: D1Database, runId: string): Promise<Map<string, ApprovalRow[]>> {
  const { results } = await db
    .prepare(
      `SELECT a.* FROM gate_approvals a JOIN gates g ON g.id = a.gate_id WHERE g.run_id = ?1 ORDER BY a.at, a.approver`,
    )
    .bind(runId)
    .all();
  const byGate = new Map<string, ApprovalRow[]>();
  for (const row of parseRows(approvalRow, results))
    byGate.set(row.gate_id, [...(byGate.get(row.gate_id) ?? []), row]);
  return byGate;
}

export interface Approval {
  gateId: string;
  /** Who counts as one approver (a signed link counts as whom it was issued to). */
  approver: string;
  /** The identity the decision is recorded under. */
  actor: string;
  via: string | null;
  reason: string | null;
  shownHash: string;
  at: number;
}

/**
 * Records one person's approval of a gate that needs several, and approves the
 * gate when that makes enough. Both statements run as one D1 transaction, so
 * concurrent approvals are counted one after the other: exactly one of them
 * completes the count and flips the row, and nothing is recorded on a gate
 * that is no longer pending.
 * - `recorded: false`: the gate is not pending, or this approver is on record already;
 * - `decided: true`: this approval completed the count and approved the gate.
 */
export async function recordApproval(
  db: D1Database,
  approval: Approval,
): Promise<{ recorded: boolean; decided: boolean }> {
  const [insert, flip] = await db.batch([
    db
      .prepare(
        `INSERT INTO gate_approvals (gate_id, approver, actor, via, reason, shown_hash, at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM gates WHERE id = ?1 AND status = 'pending')
         ON CONFLICT (gate_id, approver) DO NOTHING`,
      )
      .bind(
        approval.gateId,
        approval.approver,
        approval.actor,
        approval.via,
        approval.reason,
        approval.shownHash,
        approval.at,
      ),
    db
      .prepare(
        `UPDATE gates SET status = 'approved', decided_by = ?2, reason = ?3, decided_at = ?4
         WHERE id = ?1 AND status = 'pending'
           AND (SELECT COUNT(*) FROM gate_approvals WHERE gate_id = ?1) >= required_approvals`,
      )
      .bind(approval.gateId, approval.actor, approval.reason, approval.at),
  ]);
  return { recorded: insert?.meta.changes === 1, decided: flip?.meta.changes === 1 };
}
