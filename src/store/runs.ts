/**
 * The runs table: created by the API before the Workflow instance, updated by
 * every step's journal write, read by the API, the inbox and the sweeper.
 */
import { workflowInstanceId } from "../jobs/run-params.ts";
import { parseRows, type RunRow, type RunStatus, runRow } from "./rows.ts";

export interface NewRun {
  id: string;
  job: string;
  trigger: string;
  input: unknown;
  at: number;
}

/** Inserts a run; returns false when the id is taken (the caller answers 409). */
export async function insertRun(db: D1Database, run: NewRun): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO runs (id, job, trigger, status, state, input_json, created_at, updated_at)
       VALUES (?1, ?2, ?3, 'starting', 'preparing', ?4, ?5, ?5) ON CONFLICT (id) DO NOTHING`,
    )
    .bind(run.id, run.job, run.trigger, JSON.stringify(run.input ?? {}), run.at)
    .run();
  return result.meta.changes === 1;
}

export async function deleteStartingRun(db: D1Database, id: string): Promise<void> {
  await db.prepare(`DELETE FROM runs WHERE id = ?1 AND status = 'starting'`).bind(id).run();
}

export async function markRunStarted(db: D1Database, id: string, at: number): Promise<void> {
  await db
    .prepare(`UPDATE runs SET status = 'running', updated_at = ?2 WHERE id = ?1 AND status = 'starting'`)
    .bind(id, at)
    .run();
}

export async function getRun(db: D1Database, id: string): Promise<RunRow | null> {
  const row = await db.prepare(`SELECT * FROM runs WHERE id = ?1`).bind(id).first();
  return row ? runRow.parse(row) : null;
}

/** The id of the Workflow instance running `runId` now (it changes with each resume), or null. */
export async function instanceIdOf(db: D1Database, runId: string): Promise<string | null> {
  const row = await db
    .prepare(`SELECT resumes FROM runs WHERE id = ?1`)
    .bind(runId)
    .first<{ resumes: number }>();
  return row ? workflowInstanceId(runId, row.resumes) : null;
}

export interface CancelRequest {
  at: number;
  by: string | null;
}

/**
 * What a work step reads before it starts, in one D1 round trip: whether a cancel was
 * requested (two columns, not the whole row), and the artifact it works from, if it has one
 * (a fix round's verify report); and the end of the sleep before it (`wake_at` cleared).
 */
export async function readStepStart(
  db: D1Database,
  runId: string,
  artifactRef: string | null,
): Promise<{ cancel: CancelRequest | null; artifact: string | null }> {
  const statements = [
    // The step has begun, so any sleep before it is over: without this, a step that outlasts the
    // sweeper's grace after its sleep's due time (a claim check, a verify) looked like a run whose
    // engine forgot the sleep, and the sweeper paused and resumed it in the middle of the step.
    db.prepare(`UPDATE runs SET wake_at = NULL WHERE id = ?1 AND wake_at IS NOT NULL`).bind(runId),
    db
      .prepare(`SELECT cancel_requested_at AS at, cancel_requested_by AS by FROM runs WHERE id = ?1`)
      .bind(runId),
  ];
  if (artifactRef !== null)
    statements.push(db.prepare(`SELECT body FROM artifacts WHERE ref = ?1`).bind(artifactRef));
  const [, runs, artifacts] = await db.batch<Record<string, unknown>>(statements);
  const run = runs?.results[0] as { at: number | null; by: string | null } | undefined;
  const body = artifacts?.results[0]?.body;
  return {
    cancel: run?.at ? { at: run.at, by: run.by } : null,
    artifact: typeof body === "string" ? body : null,
  };
}

export interface RunFilter {
  job?: string;
  status?: RunStatus;
  state?: string;
  limit: number;
  before?: number;
}

export async function listRuns(db: D1Database, filter: RunFilter): Promise<RunRow[]> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.job) where.push(`job = ?${args.push(filter.job)}`);
  if (filter.status) where.push(`status = ?${args.push(filter.status)}`);
  if (filter.state) where.push(`state = ?${args.push(filter.state)}`);
  if (filter.before !== undefined) where.push(`created_at < ?${args.push(filter.before)}`);
  const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY created_at DESC, id DESC LIMIT ?${args.push(filter.limit)}`;
  const { results } = await db
    .prepare(sql)
    .bind(...args)
    .all();
  return parseRows(runRow, results);
}

export async function requestCancel(db: D1Database, id: string, by: string, at: number): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE runs SET cancel_requested_at = ?2, cancel_requested_by = ?3, updated_at = ?2
       WHERE id = ?1 AND status != 'final' AND cancel_requested_at IS NULL`,
    )
    .bind(id, at, by)
    .run();
  return result.meta.changes === 1;
}

/** Runs that are not final: the sweeper's worklist. */
export async function listLiveRuns(db: D1Database): Promise<RunRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM runs WHERE status IN ('running', 'waiting', 'starting')`)
    .all();
  return parseRows(runRow, results);
}
