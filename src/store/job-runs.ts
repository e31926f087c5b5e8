/** Reads of the runs table by job, for the trigger policies (active runs, recent outcomes). */
import type { FinishedRun } from "../triggers/policy.ts";

/** Runs of the job that are not final (starting, running, or waiting at a gate). */
export async function countActiveRuns(db: D1Database, job: string, exceptRunId?: string): Promise<number> {
  const row = await db
    .prepare(`SELECT COUNT(*) AS n FROM runs WHERE job = ?1 AND status != 'final' AND id != ?2`)
    .bind(job, exceptRunId ?? "")
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The job's finished runs, most recently ended first. */
export async function recentFinishedRuns(db: D1Database, job: string, limit: number): Promise<FinishedRun[]> {
  const { results } = await db
    .prepare(
      `SELECT id, state, updated_at FROM runs WHERE job = ?1 AND status = 'final'
       ORDER BY updated_at DESC, id DESC LIMIT ?2`,
    )
    .bind(job, limit)
    .all<{ id: string; state: string; updated_at: number }>();
  return results.map((r) => ({ id: r.id, state: r.state, endedAt: r.updated_at }));
}
