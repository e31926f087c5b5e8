/**
 * The sweeper: runs every minute (the `scheduled` handler) and once at
 * start-up. The local Workflows engine keeps sleeps and wait timeouts as
 * in-memory timers and forgets them when it restarts, and a stalled run must
 * never go unnoticed in production either, so every deadline also lives in D1
 * and this enforces them:
 * - pending gates past their deadline are expired and their run is woken;
 * - pending gates close to their deadline are announced as about to expire,
 *   and expired gates as expired, once each (see `gate-notices.ts`);
 * - decided gates whose event never reached the run are delivered again;
 * - runs overdue from a sleep, or silent for too long, are woken with
 *   pause() + resume(), which replays them from cache without re-running steps.
 */
import { noticeGateExpired, noticeGateExpiring } from "../adapters/notifier/gate-notices.ts";
import type { Env } from "../env.ts";
import type { Notifier } from "../ports/notifier.ts";
import { appendEvent } from "../store/events.ts";
import {
  decideGate,
  gatesToWarn,
  getGate,
  overdueGates,
  undeliveredGates,
  unnoticedExpiredGates,
} from "../store/gates.ts";
import { listLiveRuns } from "../store/runs.ts";
import { deliverDecision } from "./deliver.ts";

export interface SweepOptions {
  now: number;
  /** A running run silent for longer than this is woken (above the longest step timeout). */
  stallAfterMs: number;
  /** Grace after a sleep's due time before the run counts as stranded. */
  wakeGraceMs: number;
  /** A decision undelivered for this long is sent again. */
  redeliverAfterMs: number;
  /** Who hears about gates about to expire and expired; without one, no notices (and none claimed). */
  notifier?: Notifier | undefined;
}

export interface SweepReport {
  expiredGates: string[];
  /** Gates announced as about to expire by this sweep. */
  warnedGates: string[];
  /** Gates announced as expired by this sweep (expired now or earlier by their run). */
  noticedExpired: string[];
  redelivered: string[];
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
  const notices = options.notifier ? { db: env.DB, notifier: options.notifier, now: options.now } : null;
  for (const gate of await overdueGates(env.DB, options.now)) {
    const flipped = await decideGate(env.DB, gate.id, {
      status: "expired",
      by: "sweeper",
      reason: "timed out",
      at: gate.deadline_at,
    });
    if (!flipped) continue;
    await appendEvent(env.DB, {
      runId: gate.run_id,
      step: null,
      type: "gate.expired",
      actor: "sweeper",
      data: { gate: gate.id, kind: gate.kind, seq: gate.seq, deadlineAt: gate.deadline_at },
      at: options.now,
    });
    const expired = (await getGate(env.DB, gate.id)) ?? gate;
    await deliverDecision(env, expired);
    report.expiredGates.push(gate.id);
    if (notices && (await noticeGateExpired(notices, expired))) report.noticedExpired.push(gate.id);
  }
  if (notices) {
    // Gates the run expired itself without announcing it (see settleRunGate), then those nearly due.
    for (const gate of await unnoticedExpiredGates(env.DB)) {
      if (await noticeGateExpired(notices, gate)) report.noticedExpired.push(gate.id);
    }
    for (const gate of await gatesToWarn(env.DB, options.now)) {
      if (await noticeGateExpiring(notices, gate)) report.warnedGates.push(gate.id);
    }
  }
  for (const gate of await undeliveredGates(env.DB)) {
    if (report.expiredGates.includes(gate.id)) continue;
    if ((gate.decided_at ?? 0) > options.now - options.redeliverAfterMs) continue;
    if (await deliverDecision(env, gate)) report.redelivered.push(gate.id);
  }
  for (const run of await listLiveRuns(env.DB)) {
    const overdueSleep = run.wake_at !== null && run.wake_at + options.wakeGraceMs <= options.now;
    const silent = run.status === "running" && run.updated_at + options.stallAfterMs <= options.now;
    if (run.status === "waiting" || !(overdueSleep || silent)) continue;
    if (await wake(env, run.id)) {
      report.woken.push(run.id);
      await appendEvent(env.DB, {
        runId: run.id,
        step: null,
        type: "run.woken",
        actor: "sweeper",
        data: {
          reason: overdueSleep ? "sleep overdue" : "no progress",
          wakeAt: run.wake_at,
          updatedAt: run.updated_at,
        },
        at: options.now,
      });
    }
  }
  return report;
}

/** pause() then resume(): resume alone acts only on paused instances. */
async function wake(env: Pick<Env, "RUN_WORKFLOW">, runId: string): Promise<boolean> {
  try {
    const instance = await env.RUN_WORKFLOW.get(runId);
    const { status } = await instance.status();
    if (status === "complete" || status === "errored" || status === "terminated") return false;
    if (status !== "paused") await instance.pause();
    await instance.resume();
    return true;
  } catch {
    return false;
  }
}
