/**
 * Starting a run from a schedule or a webhook: the run id is already derived
 * from the trigger, and the job's state decides what happens (see
 * src/triggers/policy.ts): started, already there (a repeated trigger),
 * queued, or skipped (paused, or a run is active under `skip`). API starts do
 * not come through here: a human's explicit start is never held back.
 *
 * The check "is a run of this job active?" and the start that follows hold a
 * short per-job lease in D1, so two triggers arriving together cannot both see
 * an idle job and start two runs.
 */
import type { Env } from "../env.ts";
import type { Job } from "../jobs/schema.ts";
import type { Notifier } from "../ports/notifier.ts";
import { appendJobEvent } from "../store/job-events.ts";
import { countActiveRuns } from "../store/job-runs.ts";
import { acquireJobLease, releaseJobLease } from "../store/job-state.ts";
import { countQueued, enqueueRun, isQueued } from "../store/run-queue.ts";
import { getRun } from "../store/runs.ts";
import { admit } from "../triggers/policy.ts";
import { checkAutoPause } from "./auto-pause.ts";
import { startRun } from "./start.ts";

/** Longer than a start takes (a D1 insert and a Workflow create); a crashed holder frees it by expiry. */
export const LEASE_MS = 30_000;

export type TriggerOutcome =
  | { outcome: "started"; runId: string }
  | { outcome: "existing"; runId: string }
  | { outcome: "queued"; runId: string }
  | { outcome: "skipped"; runId: string; reason: "paused" | "active" }
  | { outcome: "unavailable"; runId: string; message: string };

export interface TriggerRequest {
  job: Job;
  runId: string;
  input: unknown;
  trigger: "schedule" | "webhook";
  actor: string;
  /** Wall-clock time (ms): rows, events and the lease use it. */
  now: number;
  /** Recorded with the run's `run.started` event (and with a queue entry or a skip). */
  details: Record<string, unknown>;
}

export interface TriggerDeps {
  notifier?: Notifier | undefined;
}

export async function triggerRun(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  request: TriggerRequest,
  deps: TriggerDeps = {},
): Promise<TriggerOutcome> {
  const { job, runId, now } = request;
  if (await getRun(env.DB, runId)) return { outcome: "existing", runId };
  if (await isQueued(env.DB, runId)) return { outcome: "queued", runId };
  const paused = await checkAutoPause(env.DB, job, now, deps.notifier);
  if (paused) return skipped(env.DB, request, "paused");
  if (job.concurrency === "allow") return start(env, request);

  const leaseUntil = now + LEASE_MS;
  const leased = await acquireJobLease(env.DB, job.name, now, leaseUntil);
  try {
    const admission = leased
      ? admit({
          concurrency: job.concurrency,
          paused: false,
          activeRuns: await countActiveRuns(env.DB, job.name),
          queued: await countQueued(env.DB, job.name),
        })
      : // Another trigger is starting a run of this job right now: the job counts as busy.
        admit({ concurrency: job.concurrency, paused: false, activeRuns: 1, queued: 0 });
    if (admission.action === "start") return await start(env, request);
    if (admission.action === "skip") return await skipped(env.DB, request, admission.reason);
    if (
      await enqueueRun(env.DB, {
        runId,
        job: job.name,
        trigger: request.trigger,
        actor: request.actor,
        input: request.input,
        details: request.details,
        at: now,
      })
    ) {
      await appendJobEvent(env.DB, {
        job: job.name,
        type: "trigger.queued",
        actor: request.actor,
        runId,
        data: { ...request.details, trigger: request.trigger },
        at: now,
      });
    }
    return { outcome: "queued", runId };
  } finally {
    if (leased) await releaseJobLease(env.DB, job.name, leaseUntil);
  }
}

async function start(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  request: TriggerRequest,
): Promise<TriggerOutcome> {
  const result = await startRun(env, {
    job: request.job,
    runId: request.runId,
    input: request.input,
    trigger: request.trigger,
    actor: request.actor,
    at: request.now,
    details: request.details,
  });
  if (result.ok) return { outcome: "started", runId: result.runId };
  if (result.code === "duplicate") return { outcome: "existing", runId: result.runId };
  return { outcome: "unavailable", runId: result.runId, message: result.message };
}

async function skipped(
  db: D1Database,
  request: TriggerRequest,
  reason: "paused" | "active",
): Promise<TriggerOutcome> {
  await appendJobEvent(db, {
    job: request.job.name,
    type: "trigger.skipped",
    actor: request.actor,
    runId: request.runId,
    data: { ...request.details, trigger: request.trigger, reason },
    at: request.now,
  });
  return { outcome: "skipped", runId: request.runId, reason };
}
