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
import { budgetLineStatement, runTransitionStatement } from "../store/run-transitions.ts";
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
    runTransitionStatement(db, {
      runId: entry.runId,
      state: stateName(to),
      status: runStatusOf(to),
      context: ctx,
      outcome: ctx.outcome,
      step: entry.step,
      wakeAt: entry.wakeAt,
      at: entry.event.at,
    }),
  ];
  const usage = "usage" in entry.event ? entry.event.usage : null;
  const sandboxMs = "sandboxMs" in entry.event ? entry.event.sandboxMs : 0;
  if (usage || sandboxMs) {
    statements.push(
      budgetLineStatement(db, {
        runId: entry.runId,
        step: entry.step,
        tokens: usage?.tokens ?? 0,
        costUsd: usage?.costUsd ?? 0,
        sandboxMs,
        deploys: entry.event.type.startsWith("deploy.") ? 1 : 0,
        at: entry.event.at,
      }),
    );
  }
  await db.batch(statements);
}
