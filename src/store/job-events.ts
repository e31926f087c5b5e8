/** The job-level audit log (runs keep theirs in `events`). Append-only. */
import { z } from "zod";
import { parseRows } from "./rows.ts";

const json = z.string().transform((text) => JSON.parse(text) as unknown);

export const jobEventRow = z.object({
  seq: z.number(),
  job: z.string(),
  type: z.string(),
  actor: z.string().nullable(),
  run_id: z.string().nullable(),
  data_json: json,
  at: z.number(),
});
export type JobEventRow = z.output<typeof jobEventRow>;

/** `job.paused`, `job.resumed`, `trigger.skipped`, `trigger.queued`, `queue.dropped`. */
export type JobEventType =
  | "job.paused"
  | "job.resumed"
  | "trigger.skipped"
  | "trigger.queued"
  | "queue.dropped";

export interface JobEvent {
  job: string;
  type: JobEventType;
  actor: string | null;
  runId?: string | null;
  data?: unknown;
  at: number;
}

export async function appendJobEvent(db: D1Database, event: JobEvent): Promise<void> {
  await db
    .prepare(
      `INSERT INTO job_events (job, type, actor, run_id, data_json, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)`,
    )
    .bind(event.job, event.type, event.actor, event.runId ?? null, JSON.stringify(event.data ?? {}), event.at)
    .run();
}

export async function listJobEvents(
  db: D1Database,
  job: string,
  afterSeq = 0,
  limit = 500,
): Promise<JobEventRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM job_events WHERE job = ?1 AND seq > ?2 ORDER BY seq ASC LIMIT ?3`)
    .bind(job, afterSeq, limit)
    .all();
  return parseRows(jobEventRow, results);
}
