/**
 * Runs waiting for their job's active run to end (`concurrency: "queue"`).
 * Each entry already carries its derived run id, so a repeated trigger queues
 * once; the scheduled handler starts the oldest entry of a job when the job is idle.
 */
import { z } from "zod";
import { parseRows } from "./rows.ts";

const json = z.string().transform((text) => JSON.parse(text) as unknown);

export const queuedRunRow = z.object({
  run_id: z.string(),
  job: z.string(),
  trigger: z.string(),
  actor: z.string(),
  input_json: json,
  details_json: json.pipe(z.record(z.string(), z.unknown())),
  queued_at: z.number(),
});
export type QueuedRunRow = z.output<typeof queuedRunRow>;

export interface NewQueuedRun {
  runId: string;
  job: string;
  trigger: string;
  actor: string;
  input: unknown;
  details: Record<string, unknown>;
  at: number;
}

/** Queues a run; false when that run id is already queued. */
export async function enqueueRun(db: D1Database, entry: NewQueuedRun): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO run_queue (run_id, job, trigger, actor, input_json, details_json, queued_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (run_id) DO NOTHING`,
    )
    .bind(
      entry.runId,
      entry.job,
      entry.trigger,
      entry.actor,
      JSON.stringify(entry.input ?? {}),
      JSON.stringify(entry.details),
      entry.at,
    )
    .run();
  return result.meta.changes === 1;
}

export async function isQueued(db: D1Database, runId: string): Promise<boolean> {
  return (await db.prepare(`SELECT 1 AS x FROM run_queue WHERE run_id = ?1`).bind(runId).first()) !== null;
}

export async function countQueued(db: D1Database, job: string): Promise<number> {
  const row = await db
    .prepare(`SELECT COUNT(*) AS n FROM run_queue WHERE job = ?1`)
    .bind(job)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export async function listQueue(db: D1Database, job?: string): Promise<QueuedRunRow[]> {
  const { results } = job
    ? await db.prepare(`SELECT * FROM run_queue WHERE job = ?1 ORDER BY queued_at, run_id`).bind(job).all()
    : await db.prepare(`SELECT * FROM run_queue ORDER BY queued_at, run_id`).all();
  return parseRows(queuedRunRow, results);
}

export async function oldestQueued(db: D1Database, job: string): Promise<QueuedRunRow | null> {
  const row = await db
    .prepare(`SELECT * FROM run_queue WHERE job = ?1 ORDER BY queued_at, run_id LIMIT 1`)
    .bind(job)
    .first();
  return row ? queuedRunRow.parse(row) : null;
}

export async function queuedJobs(db: D1Database): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT DISTINCT job FROM run_queue ORDER BY job`)
    .all<{ job: string }>();
  return results.map((r) => r.job);
}

export async function dequeueRun(db: D1Database, runId: string): Promise<void> {
  await db.prepare(`DELETE FROM run_queue WHERE run_id = ?1`).bind(runId).run();
}
