/**
 * Gate rows: pending → approved | rejected | expired | cancelled, decided
 * once by a conditional update. The row is the truth about a decision; the
 * Workflow event only wakes the run, which then reads the row.
 */
import type { GateKind } from "../loop/effects.ts";
import { type GateRow, type GateStatus, gateRow, parseRows } from "./rows.ts";

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
}

/** Opens a gate; opening the same gate again (a retried step) keeps the first row. */
export async function openGate(db: D1Database, gate: NewGate): Promise<GateRow> {
  await db
    .prepare(
      `INSERT INTO gates (id, run_id, kind, seq, event_type, status, approvers_json, shown_json, shown_hash, opened_at, deadline_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO NOTHING`,
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
    )
    .run();
  const row = await getGate(db, gate.id);
  if (!row) throw new Error(`gate ${gate.id} vanished after insert`);
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
