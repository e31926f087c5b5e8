/**
 * Cron schedules: starting the runs a tick is due for, and firing a job's
 * schedule by hand. The run id is `<job>-<yyyymmddhhmm>` of the scheduled
 * minute (src/triggers/run-ids.ts): a tick delivered twice, two crons of one
 * job matching the same minute, or a manual fire in the same minute as the
 * tick, all name one run.
 */
import type { Env } from "../env.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import type { Job, ScheduleTrigger } from "../jobs/schema.ts";
import type { Notifier } from "../ports/notifier.ts";
import { advanceEvaluatedMinute, lastEvaluatedMinute } from "../store/scheduler-state.ts";
import { floorMinute, scheduleRunId } from "../triggers/run-ids.ts";
import { dueSchedules, tickMinutes } from "../triggers/schedule.ts";
import { type TriggerOutcome, triggerRun } from "./trigger-run.ts";

export type ScheduleOutcome = TriggerOutcome & { job: string; minute: number };

function fire(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  request: { job: Job; trigger: ScheduleTrigger; minute: number; now: number; actor: string; fired: boolean },
  notifier: Notifier | undefined,
): Promise<TriggerOutcome> {
  const { job, trigger, minute } = request;
  return scheduleRunId(job.name, minute).then((runId) =>
    triggerRun(
      env,
      {
        job,
        runId,
        input: trigger.input ?? {},
        trigger: "schedule",
        actor: request.actor,
        now: request.now,
        details: {
          cron: trigger.cron,
          scheduledFor: new Date(minute).toISOString(),
          ...(request.fired ? { firedBy: request.actor } : {}),
        },
      },
      { notifier },
    ),
  );
}

/**
 * Starts the runs due at the tick (and in the minutes it catches up), then moves
 * the watermark. A minute whose start failed (Workflows unavailable) is left
 * for the next tick to try again.
 */
export async function runDueSchedules(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  options: { registry: JobRegistry; scheduledTime: number; now: number; notifier?: Notifier | undefined },
): Promise<ScheduleOutcome[]> {
  const minutes = tickMinutes(options.scheduledTime, await lastEvaluatedMinute(env.DB));
  const outcomes: ScheduleOutcome[] = [];
  let firstFailed: number | null = null;
  for (const minute of minutes) {
    for (const due of dueSchedules(options.registry.jobs.values(), minute)) {
      const outcome = await fire(
        env,
        { job: due.job, trigger: due.trigger, minute, now: options.now, actor: "scheduler", fired: false },
        options.notifier,
      );
      if (outcome.outcome === "unavailable") firstFailed ??= minute;
      outcomes.push({ ...outcome, job: due.job.name, minute });
    }
  }
  const evaluated = firstFailed === null ? floorMinute(options.scheduledTime) : firstFailed - 60_000;
  await advanceEvaluatedMinute(env.DB, evaluated);
  return outcomes;
}

/** Fires the job's (first) schedule now, as a tick in the current minute would; undefined when it has none. */
export async function fireSchedule(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  request: { job: Job; now: number; by: string; notifier?: Notifier | undefined },
): Promise<TriggerOutcome | undefined> {
  const trigger = request.job.triggers.find((t): t is ScheduleTrigger => t.kind === "schedule");
  if (!trigger) return undefined;
  return fire(
    env,
    {
      job: request.job,
      trigger,
      minute: floorMinute(request.now),
      now: request.now,
      actor: request.by,
      fired: true,
    },
    request.notifier,
  );
}
