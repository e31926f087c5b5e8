/**
 * Reads the inbox needs beyond the per-table modules: the newest artifact of
 * a kind for a run (a diff), the agent's last summary, the runs of a set of
 * ids. Read-only.
 */
import { type EventRow, eventRow, parseRows, type RunRow, runRow } from "./rows.ts";

export async function latestArtifactOfKind(
  db: D1Database,
  runId: string,
  kind: string,
): Promise<{ ref: string; body: string } | null> {
  return db
    .prepare(
      `SELECT ref, body FROM artifacts WHERE run_id = ?1 AND kind = ?2 ORDER BY created_at DESC, ref DESC LIMIT 1`,
    )
    .bind(runId, kind)
    .first<{ ref: string; body: string }>();
}

/** Every artifact of one kind in a run, oldest first (a run's round diffs). */
export async function artifactsOfKind(
  db: D1Database,
  runId: string,
  kind: string,
): Promise<{ ref: string; body: string }[]> {
  const { results } = await db
    .prepare(`SELECT ref, body FROM artifacts WHERE run_id = ?1 AND kind = ?2 ORDER BY created_at, ref`)
    .bind(runId, kind)
    .all<{ ref: string; body: string }>();
  return results;
}

/** The newest write/fix event of a run (its data may carry the agent's summary). */
export async function lastWriteEvent(db: D1Database, runId: string): Promise<EventRow | null> {
  const row = await db
    .prepare(`SELECT * FROM events WHERE run_id = ?1 AND type = 'write.done' ORDER BY seq DESC LIMIT 1`)
    .bind(runId)
    .first();
  return row ? eventRow.parse(row) : null;
}

export async function runsByIds(db: D1Database, ids: string[]): Promise<Map<string, RunRow>> {
  if (ids.length === 0) return new Map();
  const unique = [...new Set(ids)].slice(0, 100);
  const { results } = await db
    .prepare(`SELECT * FROM runs WHERE id IN (${unique.map((_, i) => `?${i + 1}`).join(",")})`)
    .bind(...unique)
    .all();
  return new Map(parseRows(runRow, results).map((run) => [run.id, run]));
}

export async function distinctJobs(db: D1Database): Promise<string[]> {
  const { results } = await db.prepare(`SELECT DISTINCT job FROM runs ORDER BY job`).all<{ job: string }>();
  return results.map((r) => r.job);
}

/** Each job's newest run (by when it was made), for the jobs page. */
export async function latestRunOfEachJob(db: D1Database): Promise<Map<string, RunRow>> {
  const { results } = await db
    .prepare(
      `SELECT * FROM runs r WHERE r.id = (
         SELECT id FROM runs WHERE job = r.job ORDER BY created_at DESC, id DESC LIMIT 1)`,
    )
    .all();
  return new Map(parseRows(runRow, results).map((run) => [run.job, run]));
}
