/**
 * What a gate shows its approvers, built from the run's machine context when the gate opens.
 * The row keeps it and its hash; an approval binds to that hash (and, from the inbox, to the
 * hash of the whole page, see `view.ts`).
 */
import { invariantBroken } from "../ports/invariant.ts";
import type { LoopSnapshot } from "../loop/effect-of.ts";
import type { LoopContext } from "../loop/types.ts";
import type { GateKind } from "../ports/vocabulary.ts";
import { getArtifact } from "../store/artifacts.ts";
import type { GateRunEnv } from "./run-env.ts";

/** What the approver sees for each kind of gate; the approval binds to its hash. */
export async function shownFor(
  env: GateRunEnv,
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

async function planShown(env: GateRunEnv, ref: string | null): Promise<unknown> {
  const stored = ref ? await getArtifact(env.db, ref) : null;
  if (!stored) invariantBroken(`the DNS plan ${ref ?? "(none)"} of run ${env.runId} is missing`);
  return JSON.parse(stored.body);
}

/** What a reopened gate shows: the approval of the previous gate of its kind that was voided, and why. */
export function reopenedShown(ctx: LoopContext, kind: GateKind, seq: number) {
  const voided = (ctx.voided ?? []).find((v) => v.gate === kind && v.seq === seq - 1);
  return voided
    ? { reopened: { voidedGate: `${kind}-${voided.seq}`, code: voided.code, reason: voided.reason } }
    : {};
}
