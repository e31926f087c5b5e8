/**
 * The sweeper: runs every minute (the `scheduled` handler) and once at
 * start-up. The local Workflows engine keeps sleeps and wait timeouts as
 * in-memory timers and forgets them when it restarts, and a stalled run must
 * never go unnoticed in production either, so every deadline also lives in D1
 * and this enforces them:
 * - gates: expired past their deadline, announced, decisions delivered again
 *   (`src/gates/expire.ts`);
 * - runs overdue from a sleep, or silent for too long, are woken with
 *   pause() + resume(), which replays them from cache without re-running steps.
 */
import type { Env } from "../env.ts";
import { workflowInstanceId } from "../jobs/run-params.ts";
import { appendEvent } from "../store/events.ts";
import type { RunRow } from "../store/rows.ts";
import { listLiveRuns } from "../store/runs.ts";
import { type GateSweepOptions, type GateSweepReport, sweepGates } from "../gates/expire.ts";

export interface SweepOptions extends GateSweepOptions {
  /** A running run silent for longer than this is woken (above the longest step timeout). */
  stallAfterMs: number;
  /** Grace after a sleep's due time before the run counts as stranded. */
  wakeGraceMs: number;
  /**
   * The engine has just started again (the local stack's start-up sweep): every running or
   * waiting run is woken. The local engine does not resume a step a crash cut off, and a run
   * marked waiting may have been cut off inside its gate's open step (the row not written, or
   * its notification not sent) or its settle step, which nothing else would ever finish.
   */
  afterRestart?: boolean;
}

export interface SweepReport extends GateSweepReport {
  woken: string[];
}

export const DEFAULT_SWEEP = { stallAfterMs: 35 * 60_000, wakeGraceMs: 5_000, redeliverAfterMs: 10_000 };

export async function sweep(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  options: SweepOptions,
): Promise<SweepReport> {
  const report: SweepReport = {
    expiredGates: [],
    warnedGates: [],
    noticedExpired: [],
    redelivered: [],
    woken: [],
  };
  await sweepGates(env, options, report);
  for (const run of await listLiveRuns(env.DB)) {
    const reason = wakeReason(run, options);
    if (!reason) continue;
    if (await wake(env, workflowInstanceId(run.id, run.resumes))) {
      report.woken.push(run.id);
      await appendEvent(env.DB, {
        runId: run.id,
        step: null,
        type: "run.woken",
        actor: "sweeper",
        data: {
          reason,
          wakeAt: run.wake_at,
          updatedAt: run.updated_at,
        },
        at: options.now,
      });
    }
  }
  return report;
}

/**
 * Pure: why a live run should be woken, or null. Its sleep is overdue (`wake_at`, cleared when
 * the step after the sleep begins), or it has been silent longer than any step may take.
 * A run waiting at a gate is the gate's business (`src/gates/expire.ts`), except after a restart.
 */
export function wakeReason(
  run: Pick<RunRow, "status" | "wake_at" | "updated_at">,
  options: Pick<SweepOptions, "now" | "wakeGraceMs" | "stallAfterMs" | "afterRestart">,
): "sleep overdue" | "no progress" | "engine restarted" | null {
  if (options.afterRestart && (run.status === "running" || run.status === "waiting"))
    return "engine restarted";
  if (run.status === "waiting") return null;
  if (run.wake_at !== null && run.wake_at + options.wakeGraceMs <= options.now) return "sleep overdue";
  if (run.status === "running" && run.updated_at + options.stallAfterMs <= options.now) return "no progress";
  return null;
}

/** pause() then resume(): resume alone acts only on paused instances. */
async function wake(env: Pick<Env, "RUN_WORKFLOW">, instanceId: string): Promise<boolean> {
  try {
    const instance = await env.RUN_WORKFLOW.get(instanceId);
    const { status } = await instance.status();
    if (status === "complete" || status === "errored" || status === "terminated") return false;
    if (status !== "paused") await instance.pause();
    await instance.resume();
    return true;
  } catch {
    return false;
  }
}
