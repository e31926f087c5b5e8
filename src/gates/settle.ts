/**
 * Settling a gate after its run's wait. The row is the truth: an event only wakes the run,
 * and a timeout that races a human's approval resolves in favour of whichever flipped the
 * row first. What the row says becomes the machine's event.
 */
import { invariantBroken } from "../ports/invariant.ts";
import type { EffectRequest } from "../loop/effect-of.ts";
import { type GateEffectKind, gateKindOf } from "../loop/effects.ts";
import type { LoopEvent } from "../loop/types.ts";
import { gateId } from "../ports/vocabulary.ts";
import { decideGate, getGate, markDelivered } from "../store/gates.ts";
import type { GateRow } from "../store/rows.ts";
import { noticeGateExpired } from "./notices.ts";
import type { GateRunEnv } from "./run-env.ts";

export async function settleRunGate(
  env: GateRunEnv,
  effect: EffectRequest & { kind: GateEffectKind },
  waited: { timedOut: boolean },
  /** Runs once the row is final, before the decision counts as delivered (a retry runs it again). */
  beforeDelivered?: (row: GateRow) => Promise<void>,
): Promise<LoopEvent> {
  const kind = gateKindOf(effect.kind);
  const id = gateId(env.runId, kind, effect.seq);
  let row = await getGate(env.db, id);
  if (!row) invariantBroken(`gate ${id} is missing`);
  if (row.status === "pending") {
    // A timeout fired (or the sweeper woke us after the deadline): expire the gate unless a
    // human got there first; the conditional update decides the race.
    if (!waited.timedOut && env.ports.clock.now() < row.deadline_at) {
      throw new Error(`gate ${id} is still pending but the run was woken; waiting again on retry`);
    }
    await decideGate(env.db, id, {
      status: "expired",
      by: "system",
      reason: "timed out",
      at: row.deadline_at,
    });
    row = await getGate(env.db, id);
    if (!row) invariantBroken(`gate ${id} vanished`);
  }
  // Announce the expiry once, whoever expired the gate (this run or the sweeper).
  if (row.status === "expired")
    await noticeGateExpired({ db: env.db, notifier: env.ports.notifier, now: env.ports.clock.now() }, row);
  if (beforeDelivered) await beforeDelivered(row);
  await markDelivered(env.db, id, env.ports.clock.now());
  const at = row.decided_at ?? row.deadline_at;
  switch (row.status) {
    case "approved":
      return { type: "gate.approved", gate: kind, by: row.decided_by ?? "unknown", reason: row.reason, at };
    case "rejected":
      return { type: "gate.rejected", gate: kind, by: row.decided_by ?? "unknown", reason: row.reason, at };
    case "cancelled":
      return { type: "run.cancelled", by: row.decided_by, at };
    default:
      return { type: "gate.timedOut", gate: kind, at };
  }
}
