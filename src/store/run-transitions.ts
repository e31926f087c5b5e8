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

/** A fault ended the run outside the machine: `failed`, with why, unless it had already closed. */
export async function markRunAborted(
  db: D1Database,
  runId: string,
  outcome: unknown,
  at: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE runs SET status = 'final', state = 'failed', outcome_json = ?2, wake_at = NULL, updated_at = MAX(updated_at, ?3)
       WHERE id = ?1 AND status != 'final'`,
    )
    .bind(runId, JSON.stringify(outcome), at)
    .run();
}
