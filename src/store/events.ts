/** The append-only audit log. Nothing here updates or deletes. */
import { type EventRow, eventRow, parseRows } from "./rows.ts";

export interface AuditEvent {
  runId: string;
  step: string | null;
  type: string;
  actor: string | null;
  fromState?: string | null;
  toState?: string | null;
  data?: unknown;
  at: number;
}

export function auditStatement(db: D1Database, event: AuditEvent): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO events (run_id, step, type, actor, from_state, to_state, data_json, at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING`,
    )
    .bind(
      event.runId,
      event.step,
      event.type,
      event.actor,
      event.fromState ?? null,
      event.toState ?? null,
      JSON.stringify(event.data ?? {}),
      event.at,
    );
}

export async function appendEvent(db: D1Database, event: AuditEvent): Promise<void> {
  await auditStatement(db, event).run();
}

export async function listEvents(
  db: D1Database,
  runId: string,
  afterSeq = 0,
  limit = 500,
): Promise<EventRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM events WHERE run_id = ?1 AND seq > ?2 ORDER BY seq ASC LIMIT ?3`)
    .bind(runId, afterSeq, limit)
    .all();
  return parseRows(eventRow, results);
}

/** The steps that recorded events in a run, in the order they first did. */
export async function stepsOfRun(db: D1Database, runId: string): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT step FROM events WHERE run_id = ?1 AND step IS NOT NULL GROUP BY step ORDER BY MIN(seq)`)
    .bind(runId)
    .all<{ step: string }>();
  return results.map((r) => r.step);
}
