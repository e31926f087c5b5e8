/**
 * Gates from the run's side: opening one (a D1 row plus a notification, both
 * idempotent) and settling it after the wait. The row is the truth: an event
 * only wakes the run, and a timeout that races a human's approval resolves in
 * favour of whichever flipped the row first.
 */
import type { EffectRequest, LoopSnapshot } from "../loop/effect-of.ts";
import { type GateEffectKind, gateKindOf } from "../loop/effects.ts";
import type { LoopEvent } from "../loop/types.ts";
import { noticeGateExpired } from "../adapters/notifier/gate-notices.ts";
import { digest } from "../store/digest.ts";
import { decideGate, getGate, markDelivered, openGate } from "../store/gates.ts";
import type { OpenedGate, WaitOutcome } from "./driver.ts";
import { getArtifact } from "../store/artifacts.ts";
import { noteEarlyClaimAtSettle, reopenedShown } from "./bound-approval.ts";
import type { RunEnv } from "./run-env.ts";
import { type GateKind, gateEventType, gateId, idempotencyKey } from "../ports/vocabulary.ts";
import { stepName } from "./step-names.ts";

/** What the approver sees for each kind of gate; the approval binds to its hash. */
export async function shownFor(
  env: RunEnv,
  kind: GateKind,
  snapshot: LoopSnapshot,
): Promise<Record<string, unknown>> {
  const ctx = snapshot.context;
  const common = { job: env.job.name, worker: env.job.deploy.workerName, snapshotId: ctx.snapshotId };
  switch (kind) {
    case "tos":
      return {
        ...common,
        apiBase: env.ports.apiBase,
        termsUrl: "https://www.cloudflare.com/terms/",
        privacyUrl: "https://www.cloudflare.com/privacypolicy/",
      };
    case "claim":
      return {
        ...common,
        verifiedSnapshotId: ctx.verifiedSnapshotId,
        reportRef: ctx.reportRef,
        deploymentUrl: ctx.deploymentUrl,
        claimUrl: ctx.account?.claimUrl ?? null,
        accountExpiresAt: ctx.account?.expiresAt ?? null,
        promotion: ctx.promotion,
        // The approval binds to this version; promotion reads the live one again first.
        verifiedVersionId: ctx.verifiedVersionId ?? null,
        ...reopenedShown(ctx, kind, ctx.seq["gate:claim"] ?? 1),
      };
    case "dns":
    case "rollback":
      // The exact plan (each resource before → after, the policy findings) is what is approved.
      return {
        ...common,
        verifiedSnapshotId: ctx.verifiedSnapshotId,
        planRef: ctx.dnsPlanRef,
        plan: await planShown(env, ctx.dnsPlanRef),
        promotedUrl: ctx.promotedUrl,
        ...(kind === "dns"
          ? {
              targetVersionId: ctx.promotedVersionId ?? null,
              ...reopenedShown(ctx, kind, ctx.seq["gate:dns"] ?? 1),
            }
          : {}),
        ...(kind === "rollback" ? { rollbackOf: ctx.rollbackOf } : {}),
      };
  }
}

async function planShown(env: RunEnv, ref: string | null): Promise<unknown> {
  const stored = ref ? await getArtifact(env.db, ref) : null;
  if (!stored) throw new Error(`the DNS plan ${ref ?? "(none)"} of run ${env.runId} is missing`);
  return JSON.parse(stored.body);
}

export async function openRunGate(
  env: RunEnv,
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

export async function settleRunGate(
  env: RunEnv,
  effect: EffectRequest & { kind: GateEffectKind },
  waited: WaitOutcome & { at: OpenedGate },
  snapshot?: LoopSnapshot,
): Promise<LoopEvent> {
  const kind = gateKindOf(effect.kind);
  const id = gateId(env.runId, kind, effect.seq);
  let row = await getGate(env.db, id);
  if (!row) throw new Error(`gate ${id} is missing`);
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
    if (!row) throw new Error(`gate ${id} vanished`);
  }
  // Announce the expiry once, whoever expired the gate (this run or the sweeper).
  if (row.status === "expired")
    await noticeGateExpired({ db: env.db, notifier: env.ports.notifier, now: env.ports.clock.now() }, row);
  // A claim made while this gate was pending (or without its approval) is put on record.
  if (kind === "claim" && snapshot) await noteEarlyClaimAtSettle(env, snapshot.context, row);
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
