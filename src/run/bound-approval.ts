/**
 * What an approval binds to (issue 15, item 3 and the claim half of item 6): the Worker
 * version Cloudflare reported live while the passing probes ran. Promotion reads the live
 * version again before it acts, and a version the run did not verify voids the claim
 * approval (`promote.failed { code: "version_changed" }`; the machine deploys the verified
 * snapshot again and reopens the gate). A claim that happened before its gate was approved
 * is recorded once, as a `claim.before_approval` audit event and on the gate row.
 *
 * Runs inside the calling step (verify, promote, applyDns, a claim gate's settle): each read
 * is repeatable, and the records are idempotent (one event per gate, a conditional update).
 */
import type { LoopContext } from "../loop/types.ts";
import type { Observation } from "../ports/deployer.ts";
import type { VerifyReport } from "../ports/verifier.ts";
import { appendEvent } from "../store/events.ts";
import { markClaimedBeforeApproval } from "../store/gates.ts";
import type { GateRow } from "../store/rows.ts";
import { type FailureInfo, gateId, PROMOTE_FAILURE } from "../ports/vocabulary.ts";
import type { RunEnv } from "./run-env.ts";
import { stepName } from "../loop/step-names.ts";

export const CLAIM_BEFORE_APPROVAL = "claim.before_approval";

/** The run's Worker as Cloudflare sees it now (the temporary account, or where a claim took it). */
export function observeRun(env: RunEnv, ctx: LoopContext): Promise<Observation> {
  return env.ports.deployer.observe({
    runId: env.runId,
    workerName: env.job.deploy.workerName,
    account: ctx.account,
  });
}

/**
 * The verifier's report with the version it was about: the one live before and after the
 * probes. A version that changed while they ran fails the report (the probes saw two things).
 */
export function boundReport(
  report: VerifyReport,
  before: Observation["version"],
  after: Observation["version"],
): VerifyReport & { versionId: string | null } {
  if (before?.id === after?.id) return { ...report, versionId: after?.id ?? null };
  const check = {
    name: "deployment unchanged while verifying",
    kind: "probe" as const,
    passed: false,
    expected: `version ${before?.id ?? "(unknown)"} throughout`,
    actual: `version ${after?.id ?? "(unknown)"} after the probes`,
    excerpt: "",
    durationMs: 0,
  };
  return { ...report, passed: false, checks: [...report.checks, check], versionId: null };
}

/**
 * Why the live version voids an approval given for `verified`, or null when it still holds.
 * Nothing to compare (no version recorded, or none readable now) is not a change.
 */
export function versionDrift(
  verified: string | null,
  live: Observation["version"],
  what: string,
): FailureInfo | null {
  if (!verified || !live || live.id === verified) return null;
  return {
    code: PROMOTE_FAILURE.versionChanged,
    message: `${what} serves version ${live.id} (in the ${live.where} account), not the verified ${verified}: the approval is void`,
  };
}

/** The approval time of the claim gate `seq`, from the machine's record of decisions. */
function approvedAt(ctx: LoopContext, seq: number): number | null {
  const decision = ctx.gates.find((g) => g.kind === "claim" && g.seq === seq && g.decision === "approved");
  return decision ? decision.at : null;
}

/**
 * Records a claim that came before the claim gate `seq` was approved (or with no approval at
 * all): once per gate, in the audit log and on the gate row. Returns whether one was seen.
 */
export async function noteEarlyClaim(
  env: RunEnv,
  gate: { seq: number; approvedAt: number | null; status: string },
  observed: Observation,
): Promise<boolean> {
  const { claim } = observed;
  if (claim.status !== "claimed") return false;
  const seen = env.ports.clock.now();
  const claimedAt = claim.at ?? seen;
  if (gate.approvedAt !== null && claimedAt >= gate.approvedAt) return false;
  const id = gateId(env.runId, "claim", gate.seq);
  const first = await markClaimedBeforeApproval(env.db, id, claimedAt);
  if (!first) return true;
  await appendEvent(env.db, {
    runId: env.runId,
    step: stepName({ kind: "gate:claim", seq: gate.seq }),
    type: CLAIM_BEFORE_APPROVAL,
    actor: null,
    data: {
      gateId: id,
      gateStatus: gate.status,
      claimedAt,
      approvedAt: gate.approvedAt,
      seenAt: seen,
      how: claim.how,
    },
    at: seen,
  });
  return true;
}

/** At a claim gate's settle: was the account claimed before this gate's decision? */
export async function noteEarlyClaimAtSettle(env: RunEnv, ctx: LoopContext, row: GateRow) {
  const observed = await env.ports.deployer.observe({
    runId: env.runId,
    workerName: env.job.deploy.workerName,
    account: ctx.account,
    claimOnly: true,
  });
  const approved = row.status === "approved" ? (row.decided_at ?? null) : null;
  await noteEarlyClaim(env, { seq: row.seq, approvedAt: approved, status: row.status }, observed);
}

/** At promotion: the claim gate whose approval is being acted on, checked the same way. */
export function noteEarlyClaimAtPromote(env: RunEnv, ctx: LoopContext, observed: Observation) {
  const seq = ctx.seq["gate:claim"] ?? 0;
  if (seq < 1) return Promise.resolve(false);
  return noteEarlyClaim(env, { seq, approvedAt: approvedAt(ctx, seq), status: "approved" }, observed);
}
