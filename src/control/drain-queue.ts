/**
 * Starting queued runs (`concurrency: "queue"`): for each job with entries,
 * when it is not paused and no run of it is active, the oldest entry starts
 * under its own (trigger-derived) id. Called by the scheduled handler every
 * minute, so a queued run starts within about a minute of the active one ending.
 *
 * The oldest entry is read before the active check: a second drainer that
 * reads it too starts the same id (deduped); one that reads the next entry
 * only can after the first was started, and then sees it active.
 */
import type { Env } from "../env.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import type { Notifier } from "../ports/notifier.ts";
import { countActiveRuns } from "../store/job-runs.ts";
import { acquireJobLease, releaseJobLease } from "../store/job-state.ts";
import { dequeueRun, oldestQueued, queuedJobs } from "../store/run-queue.ts";
import { getRun } from "../store/runs.ts";
import { checkAutoPause } from "./auto-pause.ts";
import { startRun } from "./start.ts";
import { LEASE_MS, type TriggerOutcome } from "./trigger-run.ts";

export async function drainQueue(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  options: { registry: JobRegistry; now: number; notifier?: Notifier | undefined },
): Promise<TriggerOutcome[]> {
  const { now } = options;
  const outcomes: TriggerOutcome[] = [];
  for (const name of await queuedJobs(env.DB)) {
    // A job removed from workflows/ keeps its entries until it comes back: they were accepted.
    const job = options.registry.jobs.get(name);
    if (!job || (await checkAutoPause(env.DB, job, now, options.notifier))) continue;
    const leaseUntil = now + LEASE_MS;
    if (!(await acquireJobLease(env.DB, name, now, leaseUntil))) continue;
    try {
      let entry = await oldestQueued(env.DB, name);
      // Entries whose run exists already (started by a repeated trigger) are done.
      while (entry && (await getRun(env.DB, entry.run_id))) {
        await dequeueRun(env.DB, entry.run_id);
        entry = await oldestQueued(env.DB, name);
      }
      if (!entry || (await countActiveRuns(env.DB, name, entry.run_id)) > 0) continue;
      const result = await startRun(env, {
        job,
        runId: entry.run_id,
        input: entry.input_json,
        trigger: entry.trigger,
        actor: entry.actor,
        at: now,
        details: { ...entry.details_json, queuedAt: entry.queued_at },
      });
      if (result.ok || result.code === "duplicate") await dequeueRun(env.DB, entry.run_id);
      outcomes.push(
        result.ok
          ? { outcome: "started", runId: result.runId }
          : result.code === "duplicate"
            ? { outcome: "existing", runId: result.runId }
            : { outcome: "unavailable", runId: result.runId, message: result.message },
      );
    } finally {
      await releaseJobLease(env.DB, name, leaseUntil);
    }
  }
  return outcomes;
}
