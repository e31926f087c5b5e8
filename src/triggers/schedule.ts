/**
 * Which schedules a tick is due for. Pure: the tick's time, the last minute
 * already evaluated and the jobs come in; minutes and (job, cron) pairs come out.
 *
 * Every job's crons are matched against the tick's own minute (Cloudflare
 * fires `scheduled` once per cron in wrangler.jsonc, and production has an
 * every-minute cron for the sweeper, so `controller.cron` says little). A
 * tick also catches up the minutes since the last evaluated one, at most
 * `MAX_CATCH_UP_MINUTES` back: local mode fires once a minute from a
 * `setInterval` that drifts, and a late tick must not lose a job's minute.
 * Run ids are derived from job + minute, so minutes evaluated twice start once.
 */
import { cronMatches, parseCron } from "../jobs/cron.ts";
import type { Job, ScheduleTrigger } from "../jobs/schema.ts";
import { floorMinute } from "./run-ids.ts";

export const MAX_CATCH_UP_MINUTES = 5;

/**
 * The minutes a tick evaluates, oldest first: those after `lastEvaluated` up to
 * the tick's own minute (always included, so a repeated tick is deduped by run id).
 */
export function tickMinutes(
  scheduledTime: number,
  lastEvaluated: number | null,
  maxCatchUp = MAX_CATCH_UP_MINUTES,
): number[] {
  const tick = floorMinute(scheduledTime);
  const from =
    lastEvaluated === null || lastEvaluated >= tick
      ? tick
      : Math.max(floorMinute(lastEvaluated) + 60_000, tick - maxCatchUp * 60_000);
  const minutes: number[] = [];
  for (let m = from; m <= tick; m += 60_000) minutes.push(m);
  return minutes;
}

export interface DueSchedule {
  job: Job;
  trigger: ScheduleTrigger;
  /** The minute it is due for (ms, UTC). */
  minute: number;
}

/** Jobs due in `minute`: at most one entry per job, its first matching cron. */
export function dueSchedules(jobs: Iterable<Job>, minute: number): DueSchedule[] {
  const at = new Date(minute);
  const due: DueSchedule[] = [];
  for (const job of jobs) {
    for (const trigger of job.triggers) {
      if (trigger.kind !== "schedule") continue;
      const parsed = parseCron(trigger.cron);
      if (parsed.ok && cronMatches(parsed.fields, at)) {
        due.push({ job, trigger, minute });
        break;
      }
    }
  }
  return due;
}

/** True when the job starts runs on its own (schedules or webhooks), so pausing it means something. */
export function hasAutomaticTriggers(job: Job): boolean {
  return job.triggers.some((t) => t.kind === "schedule" || t.kind === "webhook");
}
