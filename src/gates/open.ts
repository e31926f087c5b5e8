/**
 * Opening a gate from its run's step: the D1 row (what it shows, its hash, who may decide,
 * its deadline) and the "gate opened" notification, both idempotent, so a retried step opens
 * the same gate once.
 */
import type { EffectRequest, LoopSnapshot } from "../loop/effect-of.ts";
import { type GateEffectKind, gateKindOf } from "../loop/effects.ts";
import { gateEventType, gateId, idempotencyKey } from "../ports/vocabulary.ts";
import { digest } from "../store/digest.ts";
import { openGate } from "../store/gates.ts";
import { stepName } from "../loop/step-names.ts";
import type { GateRunEnv } from "./run-env.ts";
import { shownFor } from "./shown.ts";

/** What the run's wait needs from an opened gate. */
export interface OpenedGate {
  eventType: string;
  openedAt: number;
  deadlineAt: number;
}

export async function openRunGate(
  env: GateRunEnv,
  effect: EffectRequest & { kind: GateEffectKind },
  snapshot: LoopSnapshot,
): Promise<OpenedGate> {
  const kind = gateKindOf(effect.kind);
  const id = gateId(env.runId, kind, effect.seq);
  const shown = await shownFor(env, kind, snapshot);
  const openedAt = env.ports.clock.now();
  const row = await openGate(env.db, {
    id,
    runId: env.runId,
    kind,
    seq: effect.seq,
    eventType: gateEventType(kind, effect.seq),
    approvers: env.job.gates[kind].approvers,
    shown,
    shownHash: await digest(shown),
    openedAt,
    deadlineAt: openedAt + snapshot.context.gateTimeoutsMs[kind],
    requiredApprovals: kind === "dns" ? env.job.gates.dns.required : 1,
  });
  await env.ports.notifier.notify({
    idempotencyKey: idempotencyKey(env.runId, stepName(effect, "open")),
    runId: env.runId,
    kind: "gate.opened",
    title: `${env.job.name}: ${kind} gate waiting for approval`,
    body: `Run ${env.runId} waits at the ${kind} gate until ${new Date(row.deadline_at).toISOString()}.`,
    links: [],
    gate: { id: row.id, kind, seq: row.seq, deadlineAt: row.deadline_at },
  });
  return { eventType: row.event_type, openedAt: row.opened_at, deadlineAt: row.deadline_at };
}
