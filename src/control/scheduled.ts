/**
 * What the Worker's `scheduled` handler does, shared by production
 * (src/worker.ts) and the Worker under test: the sweeper, jobs pausing
 * themselves after failures, queued runs whose job is idle, and the schedules
 * due at the tick. Each part runs even when another throws (and the error is
 * logged), so a broken sweep never stops overnight jobs.
 *
 * `scheduledTime` (the tick) picks the schedules; `now` (the wall clock) is
 * what rows and deadlines are stamped with. In production they agree; local
 * mode fires the handler once a minute with scheduledTime = now.
 */
import type { Env } from "../env.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import type { Notifier } from "../ports/notifier.ts";
import { hasAutomaticTriggers } from "../triggers/schedule.ts";
import { checkAutoPause } from "./auto-pause.ts";
import { drainQueue } from "./drain-queue.ts";
import { runDueSchedules, type ScheduleOutcome } from "./schedules.ts";
import { DEFAULT_SWEEP, type SweepReport, sweep } from "./sweeper.ts";
import type { TriggerOutcome } from "./trigger-run.ts";

export interface ScheduledOptions {
  registry: JobRegistry;
  scheduledTime: number;
  now?: number;
  notifier?: Notifier | undefined;
}

export interface ScheduledReport {
  sweep: SweepReport | null;
  /** Jobs found paused (by a human earlier, or just now after failures). */
  paused: string[];
  dequeued: TriggerOutcome[];
  schedules: ScheduleOutcome[];
  errors: string[];
}

export async function onScheduled(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  options: ScheduledOptions,
): Promise<ScheduledReport> {
  const now = options.now ?? Date.now();
  const { registry, notifier } = options;
  const report: ScheduledReport = { sweep: null, paused: [], dequeued: [], schedules: [], errors: [] };
  const attempt = async (part: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      report.errors.push(`${part}: ${message}`);
      console.error(`nightshift scheduled: ${part} failed`, error instanceof Error ? error.stack : message);
    }
  };
  await attempt("sweep", async () => {
    report.sweep = await sweep(env, { now, ...DEFAULT_SWEEP, notifier });
  });
  await attempt("auto-pause", async () => {
    for (const job of registry.jobs.values()) {
      if (hasAutomaticTriggers(job) && (await checkAutoPause(env.DB, job, now, notifier)))
        report.paused.push(job.name);
    }
  });
  await attempt("queue", async () => {
    report.dequeued = await drainQueue(env, { registry, now, notifier });
  });
  await attempt("schedules", async () => {
    report.schedules = await runDueSchedules(env, {
      registry,
      scheduledTime: options.scheduledTime,
      now,
      notifier,
    });
  });
  return report;
}

/** One log line when the tick did something (nothing when it did not). */
export function describeScheduled(report: ScheduledReport): string | null {
  const sweep = report.sweep;
  const swept = sweep
    ? sweep.expiredGates.length +
      sweep.warnedGates.length +
      sweep.noticedExpired.length +
      sweep.redelivered.length +
      sweep.woken.length
    : 0;
  const acted = report.dequeued.length + report.schedules.length + report.errors.length;
  if (swept === 0 && acted === 0) return null;
  return `nightshift scheduled: ${JSON.stringify({
    sweep,
    dequeued: report.dequeued,
    schedules: report.schedules.map((s) => ({ job: s.job, outcome: s.outcome, runId: s.runId })),
    errors: report.errors,
  })}`;
}
