/**
 * The run row's writes as a run moves: one per journal entry (with its budget
 * line), and the two ways a run closes. Statements are returned unexecuted
 * where the caller batches them with the audit event, so a transition and its
 * record land together or not at all.
 */
import type { RunStatus } from "./rows.ts";

export interface RunTransition {
  runId: string;
  state: string;
  status: RunStatus;
  context: unknown;
  outcome: unknown;
  step: string;
  /** When the run is expected to wake from a sleep that follows this step, if one does. */
  wakeAt: number | null;
  at: number;
}

/** The newest state wins, but a final row is never reopened by a late (retried) step. */
export function runTransitionStatement(db: D1Database, t: RunTransition): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE runs SET state = ?2, status = ?3, context_json = ?4, outcome_json = ?5, current_step = ?6,
         step_count = step_count + 1, wake_at = ?7, updated_at = MAX(updated_at, ?8)
       WHERE id = ?1 AND status != 'final'`,
    )
    .bind(
      t.runId,
      t.state,
      t.status,
      JSON.stringify(t.context),
      t.outcome ? JSON.stringify(t.outcome) : null,
      t.step,
      t.wakeAt,
      t.at,
    );
}

export interface BudgetLine {
  runId: string;
  step: string;
  tokens: number;
  costUsd: number;
  sandboxMs: number;
  deploys: number;
  at: number;
}

/** One line per (run, step): a step that runs twice is charged once. */
export function budgetLineStatement(db: D1Database, line: BudgetLine): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO budget_ledger (run_id, step, tokens, cost_usd, sandbox_ms, deploys, at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING`,
    )
    .bind(line.runId, line.step, line.tokens, line.costUsd, line.sandboxMs, line.deploys, line.at);
}

/** Closes the row in the state its last journal entry already wrote. */
export async function markRunFinal(db: D1Database, runId: string, state: string, at: number): Promise<void> {
  await db
    .prepare(
      `UPDATE runs SET status = 'final', state = ?2, wake_at = NULL, updated_at = MAX(updated_at, ?3) WHERE id = ?1`,
    )
    .bind(runId, state, at)
    .run();
}

/**
 * A fault ended the run outside the machine: `failed`, with why, unless it had already closed.
 * The state it was in is kept (`aborted_in`, SQLite reads the old `state` on the right): a
 * resume starts there again. Returns that state, or null when the run had already closed.
 */
export async function markRunAborted(
  db: D1Database,
  runId: string,
  outcome: unknown,
  at: number,
): Promise<string | null> {
  const row = await db
    .prepare(
      `UPDATE runs SET status = 'final', state = 'failed', aborted_in = state, outcome_json = ?2, wake_at = NULL,
         updated_at = MAX(updated_at, ?3)
       WHERE id = ?1 AND status != 'final' RETURNING aborted_in`,
    )
    .bind(runId, JSON.stringify(outcome), at)
    .first<{ aborted_in: string }>();
  return row?.aborted_in ?? null;
}

/**
 * Takes a run that failed on infrastructure back to `running` in the state it was aborted in,
 * as its `resumes`-th resume; only from exactly the row the caller saw (still failed, same
 * count), so two resumes at once make one. Returns whether this call took it.
 */
export async function reopenAbortedRun(
  db: D1Database,
  request: { runId: string; resumes: number; at: number },
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE runs SET status = 'running', state = aborted_in, aborted_in = NULL, outcome_json = NULL,
         resumes = ?2, wake_at = NULL, updated_at = MAX(updated_at, ?3)
       WHERE id = ?1 AND status = 'final' AND state = 'failed' AND aborted_in IS NOT NULL AND resumes = ?2 - 1`,
    )
    .bind(request.runId, request.resumes, request.at)
    .run();
  return result.meta.changes === 1;
}

/** Undoes `reopenAbortedRun` when its Workflow instance could not be created: failed as before. */
export async function undoReopen(
  db: D1Database,
  request: { runId: string; resumes: number; state: string; outcome: unknown; at: number },
): Promise<void> {
  await db
    .prepare(
      `UPDATE runs SET status = 'final', state = 'failed', aborted_in = ?3, outcome_json = ?4, resumes = ?2 - 1,
         updated_at = MAX(updated_at, ?5)
       WHERE id = ?1 AND resumes = ?2 AND status = 'running'`,
    )
    .bind(request.runId, request.resumes, request.state, JSON.stringify(request.outcome), request.at)
    .run();
}
