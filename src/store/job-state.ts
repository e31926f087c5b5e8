/**
 * Per-job state that outlives runs (migration 0002): paused or not, and a
 * short lease that serialises "is a run active? then start one" for the
 * `skip` and `queue` policies. A job with no row is running normally.
 */
import { z } from "zod";
import { parseRows } from "./rows.ts";

export const jobStateRow = z.object({
  job: z.string(),
  paused: z.number().transform((n) => n === 1),
  paused_at: z.number().nullable(),
  paused_by: z.string().nullable(),
  pause_reason: z.string().nullable(),
  resumed_at: z.number().nullable(),
  lease_until: z.number().nullable(),
  updated_at: z.number(),
});
export type JobStateRow = z.output<typeof jobStateRow>;

export async function getJobState(db: D1Database, job: string): Promise<JobStateRow | null> {
  const row = await db.prepare(`SELECT * FROM job_state WHERE job = ?1`).bind(job).first();
  return row ? jobStateRow.parse(row) : null;
}

export async function listJobStates(db: D1Database): Promise<JobStateRow[]> {
  const { results } = await db.prepare(`SELECT * FROM job_state`).all();
  return parseRows(jobStateRow, results);
}

/** Pauses the job; false when it already was (so a pause is recorded and notified once). */
export async function pauseJob(
  db: D1Database,
  job: string,
  pause: { by: string; reason: string | null; at: number },
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO job_state (job, paused, paused_at, paused_by, pause_reason, updated_at)
       VALUES (?1, 1, ?2, ?3, ?4, ?2)
       ON CONFLICT (job) DO UPDATE SET paused = 1, paused_at = ?2, paused_by = ?3, pause_reason = ?4, updated_at = ?2
       WHERE job_state.paused = 0`,
    )
    .bind(job, pause.at, pause.by, pause.reason)
    .run();
  return result.meta.changes === 1;
}

/** Resumes the job; false when it was not paused. Failures before `at` stop counting. */
export async function resumeJob(db: D1Database, job: string, at: number): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE job_state SET paused = 0, resumed_at = ?2, updated_at = ?2 WHERE job = ?1 AND paused = 1`,
    )
    .bind(job, at)
    .run();
  return result.meta.changes === 1;
}

/**
 * Takes the job's lease until `until`; false while someone else holds it.
 * D1 has no row locks to hold across statements, so this conditional write is the lock.
 */
export async function acquireJobLease(
  db: D1Database,
  job: string,
  now: number,
  until: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO job_state (job, lease_until, updated_at) VALUES (?1, ?3, ?2)
       ON CONFLICT (job) DO UPDATE SET lease_until = ?3
       WHERE job_state.lease_until IS NULL OR job_state.lease_until <= ?2`,
    )
    .bind(job, now, until)
    .run();
  return result.meta.changes === 1;
}

export async function releaseJobLease(db: D1Database, job: string, until: number): Promise<void> {
  await db
    .prepare(`UPDATE job_state SET lease_until = NULL WHERE job = ?1 AND lease_until = ?2`)
    .bind(job, until)
    .run();
}
