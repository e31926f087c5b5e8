/**
 * Pausing and resuming a job's automatic triggers (schedules and webhooks).
 * A human pauses or resumes through the API; a job whose last
 * `pauseAfterFailures` runs failed pauses itself, records `job.paused` and
 * notifies once. Resuming resets the count: only runs that end afterwards count.
 */
import { asIdempotencyKey } from "../ports/vocabulary.ts";
import type { Job } from "../jobs/schema.ts";
import type { Notifier } from "../ports/notifier.ts";
import { appendJobEvent } from "../store/job-events.ts";
import { recentFinishedRuns } from "../store/job-runs.ts";
import { getJobState, type JobStateRow, pauseJob, resumeJob } from "../store/job-state.ts";
import { failuresToPause } from "../triggers/policy.ts";

export const SELF = "nightshift";

/** True when the job is paused (already, or now because its recent runs failed). */
export async function checkAutoPause(
  db: D1Database,
  job: Job,
  now: number,
  notifier: Notifier | undefined,
): Promise<boolean> {
  const state = await getJobState(db, job.name);
  if (state?.paused) return true;
  if (job.pauseAfterFailures <= 0) return false;
  const recent = await recentFinishedRuns(db, job.name, job.pauseAfterFailures);
  const failures = failuresToPause(recent, job.pauseAfterFailures, state?.resumed_at ?? null);
  if (!failures) return false;
  const reason = `the last ${failures.length} runs failed (${failures.map((r) => `${r.id}: ${r.state}`).join(", ")})`;
  if (await pauseJob(db, job.name, { by: SELF, reason, at: now })) {
    await appendJobEvent(db, {
      job: job.name,
      type: "job.paused",
      actor: SELF,
      runId: failures[0]!.id,
      data: { reason, failedRuns: failures.map((r) => r.id), pauseAfterFailures: job.pauseAfterFailures },
      at: now,
    });
    try {
      await notifier?.notify({
        idempotencyKey: asIdempotencyKey(`job:${job.name}:paused:${failures[0]!.id}`),
        runId: failures[0]!.id,
        kind: "job.paused",
        title: `${job.name}: paused after ${failures.length} failed runs`,
        body: `${reason}. Its schedules and webhooks start nothing until it is resumed (POST /api/jobs/${job.name}/resume).`,
        links: [],
      });
    } catch (error) {
      // The pause and its audit event are recorded; a notification channel being down must not undo that.
      console.error(
        `nightshift: could not notify that ${job.name} paused`,
        error instanceof Error ? error.message : error,
      );
    }
  }
  return true;
}

export type PauseChange = { changed: boolean; state: JobStateRow | null };

export async function setJobPaused(
  db: D1Database,
  request: { job: string; paused: boolean; by: string; reason: string | null; at: number },
): Promise<PauseChange> {
  const changed = request.paused
    ? await pauseJob(db, request.job, { by: request.by, reason: request.reason, at: request.at })
    : await resumeJob(db, request.job, request.at);
  if (changed)
    await appendJobEvent(db, {
      job: request.job,
      type: request.paused ? "job.paused" : "job.resumed",
      actor: request.by,
      data: { reason: request.reason },
      at: request.at,
    });
  return { changed, state: await getJobState(db, request.job) };
}
