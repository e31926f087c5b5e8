/**
 * The journal: what one transition writes to D1, in one batch. The audit event
 * is unique per (run, step, type), so a step that runs twice records once; the
 * run row always takes the newest state. Artifacts the event refers to (a
 * verify report) can go into the same batch: the event and what it points at
 * are then written together, in one round trip.
 */
import type { LoopSnapshot } from "../loop/effect-of.ts";
import { currentEffect, stateName } from "../loop/effect-of.ts";
import { isFinalState } from "../ports/vocabulary.ts";
import type { LoopEvent } from "../loop/types.ts";
import { artifactStatement, type NewArtifact } from "../store/artifacts.ts";
import { auditStatement } from "../store/events.ts";
import type { RunStatus } from "../store/rows.ts";
import type { StepName } from "../loop/step-names.ts";

export interface JournalEntry {
  runId: string;
  step: StepName;
  from: LoopSnapshot;
  event: LoopEvent;
  to: LoopSnapshot;
  /** When the run is expected to wake from a sleep that follows this step, if one does. */
  wakeAt: number | null;
}

/**
 * Artifacts handed to the journal with the event that refers to them. Keyed by the event
 * object itself: the step passes the very object it got from the work to its journal, a
 * retried step makes a new one, and an entry lives no longer than its event.
 */
const artifactsOf = new WeakMap<LoopEvent, NewArtifact[]>();

/** Marks `artifacts` to be written by the journal of the step that produced `event`; returns the event. */
export function withArtifacts<E extends LoopEvent>(event: E, ...artifacts: NewArtifact[]): E {
  artifactsOf.set(event, artifacts);
  return event;
}

export function runStatusOf(snapshot: LoopSnapshot): RunStatus {
  if (isFinalState(stateName(snapshot))) return "final";
  return currentEffect(snapshot)?.kind.startsWith("gate:") ? "waiting" : "running";
}

/** Event data for the audit log: the event minus its type and time (already columns). */
function eventData(event: LoopEvent): Record<string, unknown> {
  const { type: _type, at: _at, ...rest } = event;
  return rest;
}

export async function writeJournal(db: D1Database, entry: JournalEntry): Promise<void> {
  const to = entry.to;
  const ctx = to.context;
  const statements = [
    ...(artifactsOf.get(entry.event) ?? []).map((artifact) => artifactStatement(db, artifact)),
    auditStatement(db, {
      runId: entry.runId,
      step: entry.step,
      type: entry.event.type,
      actor: "by" in entry.event ? entry.event.by : "system",
      fromState: stateName(entry.from),
      toState: stateName(to),
      data: eventData(entry.event),
      at: entry.event.at,
    }),
    db
      .prepare(
        `UPDATE runs SET state = ?2, status = ?3, context_json = ?4, outcome_json = ?5, current_step = ?6,
           step_count = step_count + 1, wake_at = ?7, updated_at = MAX(updated_at, ?8)
         WHERE id = ?1 AND status != 'final'`,
      )
      .bind(
        entry.runId,
        stateName(to),
        runStatusOf(to),
        JSON.stringify(ctx),
        ctx.outcome ? JSON.stringify(ctx.outcome) : null,
        entry.step,
        entry.wakeAt,
        entry.event.at,
      ),
  ];
  const usage = "usage" in entry.event ? entry.event.usage : null;
  const sandboxMs = "sandboxMs" in entry.event ? entry.event.sandboxMs : 0;
  if (usage || sandboxMs) {
    statements.push(
      db
        .prepare(
          `INSERT INTO budget_ledger (run_id, step, tokens, cost_usd, sandbox_ms, deploys, at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING`,
        )
        .bind(
          entry.runId,
          entry.step,
          usage?.tokens ?? 0,
          usage?.costUsd ?? 0,
          sandboxMs,
          entry.event.type.startsWith("deploy.") ? 1 : 0,
          entry.event.at,
        ),
    );
  }
  await db.batch(statements);
}
