/**
 * What a schedule or webhook may do for a job right now. Pure decisions over
 * facts the caller read from D1:
 * - a paused job starts nothing;
 * - `allow` always starts; `skip` starts only when no run of the job is active;
 * - `queue` starts when nothing is active and nothing is queued ahead, else queues.
 * And when a job pauses itself: its last `pauseAfterFailures` finished runs
 * (since it was last resumed) all failed.
 */
import type { Job } from "../jobs/schema.ts";

export type Admission =
  | { action: "start" }
  | { action: "queue" }
  | { action: "skip"; reason: "paused" | "active" };

export function admit(facts: {
  concurrency: Job["concurrency"];
  paused: boolean;
  /** Runs of the job not yet final (starting, running, waiting at a gate). */
  activeRuns: number;
  /** Entries already in the job's queue. */
  queued: number;
}): Admission {
  if (facts.paused) return { action: "skip", reason: "paused" };
  if (facts.concurrency === "allow") return { action: "start" };
  const busy = facts.activeRuns > 0;
  if (facts.concurrency === "queue")
    return busy || facts.queued > 0 ? { action: "queue" } : { action: "start" };
  return busy ? { action: "skip", reason: "active" } : { action: "start" };
}

/** Final states that count as a failure of the job (a human's rejection or cancel does not). */
export const FAILED_STATES: ReadonlySet<string> = new Set(["failed", "budgetExhausted"]);

export interface FinishedRun {
  id: string;
  state: string;
  /** When it ended (the run row's updated_at). */
  endedAt: number;
}

/**
 * The failed runs that pause the job, newest first, or null when it keeps going.
 * `recent` is the job's finished runs, newest first.
 */
export function failuresToPause(
  recent: readonly FinishedRun[],
  pauseAfterFailures: number,
  resumedAt: number | null,
): FinishedRun[] | null {
  if (pauseAfterFailures <= 0) return null;
  const counted = recent
    .filter((r) => resumedAt === null || r.endedAt > resumedAt)
    .slice(0, pauseAfterFailures);
  if (counted.length < pauseAfterFailures) return null;
  return counted.every((r) => FAILED_STATES.has(r.state)) ? counted : null;
}
