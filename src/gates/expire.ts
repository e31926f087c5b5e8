/**
 * The sweeper's gate work (see `src/control/sweeper.ts`): every deadline lives in D1, so a
 * gate expires on time even when the engine forgot its run's wait timer.
 * - pending gates past their deadline are expired and their run is woken;
 * - pending gates close to their deadline are announced as about to expire, and expired
 *   gates as expired, once each (see `notices.ts`);
 * - decided gates whose event never reached the run are delivered again.
 */
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
import { deliverDecision } from "./deliver.ts";
import { noticeGateExpired, noticeGateExpiring } from "./notices.ts";

export interface GateSweepOptions {
  now: number;
  /** A decision undelivered for this long is sent again. */
  redeliverAfterMs: number;
  /** Who hears about gates about to expire and expired; without one, no notices (and none claimed). */
  notifier?: Notifier | undefined;
}

/** What one sweep did to gates (ids), appended to the caller's report. */
export interface GateSweepReport {
  expiredGates: string[];
  /** Gates announced as about to expire by this sweep. */
  warnedGates: string[];
  /** Gates announced as expired by this sweep (expired now or earlier by their run). */
  noticedExpired: string[];
  redelivered: string[];
}

export async function sweepGates(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  options: GateSweepOptions,
  report: GateSweepReport,
): Promise<void> {
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
}
