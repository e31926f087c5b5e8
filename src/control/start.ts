/**
 * Starting a run: a row in D1 first, then the Workflow instance with the same
 * id. The id is the dedupe key (a caller's, a webhook delivery's, a cron
 * tick's): a second start with it is refused, never a second run.
 */
import type { Env } from "../env.ts";
import { plainJob } from "../jobs/plain.ts";
import type { Job } from "../jobs/schema.ts";
import type { RunParams } from "../jobs/run-params.ts";
import { appendEvent } from "../store/events.ts";
import { deleteStartingRun, insertRun, markRunStarted } from "../store/runs.ts";

export type StartResult =
  | { ok: true; runId: string }
  | { ok: false; code: "duplicate"; runId: string }
  | { ok: false; code: "unavailable"; runId: string; message: string };

export function newRunId(job: string, at: number): string {
  const random = crypto.getRandomValues(new Uint8Array(5));
  const suffix = [...random]
    .map((b) => b.toString(36).padStart(2, "0"))
    .join("")
    .slice(0, 8);
  return `${job.slice(0, 36)}-${at.toString(36)}-${suffix}`;
}

function alreadyExists(error: unknown): boolean {
  return error instanceof Error && /already[_ ]exists/i.test(error.message);
}

export async function startRun(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  request: {
    job: Job;
    runId: string;
    input: unknown;
    trigger: string;
    actor: string;
    at: number;
    /** What started it, for the audit log (a schedule's cron and minute, a webhook's delivery). */
    details?: Record<string, unknown>;
    /** Set for a rollback run: the run whose DNS change it undoes. */
    rollbackOf?: string;
  },
): Promise<StartResult> {
  const { job, runId, at } = request;
  const inserted = await insertRun(env.DB, {
    id: runId,
    job: job.name,
    trigger: request.trigger,
    input: request.input,
    at,
  });
  if (!inserted) return { ok: false, code: "duplicate", runId };
  const params: RunParams = {
    runId,
    // Job files may hold code (a webhook's schema and map); params must be plain data.
    job: plainJob(job),
    input: request.input ?? {},
    trigger: request.trigger,
    startedAt: at,
    ...(request.rollbackOf ? { rollbackOf: request.rollbackOf } : {}),
  };
  try {
    await env.RUN_WORKFLOW.create({ id: runId, params });
  } catch (error) {
    if (alreadyExists(error)) return { ok: false, code: "duplicate", runId };
    // No instance means no run: remove the row so nothing half-started is left behind.
    await deleteStartingRun(env.DB, runId);
    return {
      ok: false,
      code: "unavailable",
      runId,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  await markRunStarted(env.DB, runId, at);
  await appendEvent(env.DB, {
    runId,
    step: null,
    type: "run.started",
    actor: request.actor,
    toState: request.rollbackOf ? "planningDns" : "preparing",
    data: { ...request.details, trigger: request.trigger, job: job.name },
    at,
  });
  return { ok: true, runId };
}
