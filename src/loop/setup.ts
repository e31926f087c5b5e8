/**
 * What the loop machine's named actions and guards do: every context update
 * and every condition the chart in `machine.ts` refers to by name. Pure, like
 * the chart: time is the `at` each event carries.
 */
import { assign, setup } from "xstate";
import { blockingBudget, spentCap } from "./budgets.ts";
import { absorb } from "./context.ts";
import { DEPLOY_FAILURE, DNS_FAILURE, type GateKind, PROMOTE_FAILURE } from "../ports/vocabulary.ts";
import type { EffectKind } from "./effects.ts";
import { type LoopContext, type LoopEvent, type LoopInput, MAX_DNS_PLANS, type Outcome } from "./types.ts";

type Next = "write" | "deploy" | "none";

/** The record list with the latest approval of `gate` made void by `event` (its error says why). */
function voidedNow(ctx: LoopContext, event: LoopEvent, gate: GateKind): LoopContext["voided"] {
  return [
    ...ctx.voided,
    {
      gate,
      seq: ctx.seq[`gate:${gate}`] ?? 0,
      code: "error" in event ? event.error.code : "void",
      reason: "error" in event ? event.error.message : event.type,
      at: event.at,
    },
  ];
}

/** The deadline bounds the working loop; once a snapshot has passed verification, humans set the pace. */
function withDeadline(ctx: LoopContext): LoopContext {
  if (ctx.verifiedSnapshotId === null) return ctx;
  return { ...ctx, budgets: { ...ctx.budgets, deadlineAt: Number.POSITIVE_INFINITY } };
}

function blocked(ctx: LoopContext, event: LoopEvent, next: Next): boolean {
  return blockingBudget(withDeadline(absorb(ctx, event)), event.at, next) !== null;
}

function failureIs(event: LoopEvent, code: string): boolean {
  return "error" in event && event.error.code === code;
}

/**
 * A deploy failure the agent's code caused and a fix round can mend: a build error, or a Worker
 * config a temporary account cannot deploy (both found without spending the account).
 */
function agentsToFix(event: LoopEvent): boolean {
  return failureIs(event, DEPLOY_FAILURE.buildError) || failureIs(event, DEPLOY_FAILURE.unsupportedConfig);
}

function isGate(event: LoopEvent, gate: GateKind): boolean {
  return "gate" in event && event.gate === gate;
}

function claimWindowClosed(ctx: LoopContext, event: LoopEvent): boolean {
  return ctx.promotion === "claim" && (ctx.account === null || event.at >= ctx.account.expiresAt);
}

function gateOutcome(kind: GateKind, event: LoopEvent): Outcome {
  if (event.type === "gate.timedOut") return { reason: `${kind} gate timed out`, code: "gate_timeout" };
  if (event.type === "gate.rejected") {
    return {
      reason: `${kind} gate rejected by ${event.by}${event.reason ? `: ${event.reason}` : ""}`,
      code: "rejected",
    };
  }
  return { reason: `${kind} gate`, code: null };
}

export const loopSetup = setup({
  types: {
    context: {} as LoopContext,
    events: {} as LoopEvent,
    input: {} as LoopInput,
    meta: {} as { effect: EffectKind },
  },
  actions: {
    enterEffect: assign(({ context }, params: { kind: EffectKind }) => ({
      seq: { ...context.seq, [params.kind]: (context.seq[params.kind] ?? 0) + 1 },
    })),
    countIteration: assign(({ context }) => ({
      spent: { ...context.spent, iterations: context.spent.iterations + 1 },
    })),
    countDeploy: assign(({ context }) => ({
      spent: { ...context.spent, deploys: context.spent.deploys + 1 },
    })),
    absorb: assign(({ context, event }) => absorb(context, event)),
    setSnapshot: assign(({ event }) => ("snapshotId" in event ? { snapshotId: event.snapshotId } : {})),
    setDeployment: assign(({ event }) =>
      event.type === "deploy.done"
        ? { deploymentUrl: event.url, account: event.account, freshAccount: false }
        : {},
    ),
    setReport: assign(({ event }) => ("reportRef" in event ? { reportRef: event.reportRef } : {})),
    markVerified: assign(({ context, event }) => ({
      verifiedSnapshotId: context.snapshotId,
      verifiedVersionId: event.type === "verify.passed" ? (event.versionId ?? null) : null,
    })),
    // What was live is not what was verified: the claim approval is void (recorded with its
    // reason for the gate that reopens), and the verified snapshot goes out again into the
    // same account, to be verified before anyone is asked again.
    voidClaimApproval: assign(({ context, event }) => ({ voided: voidedNow(context, event, "claim") })),
    // The DNS gate's target Worker changed after the approval: that approval is void (the
    // reason goes to the DNS gate that reopens once the Worker live now passed its probes).
    voidDnsApproval: assign(({ context, event }) => ({
      voided: voidedNow(context, event, "dns"),
      dnsPlanRef: null,
    })),
    // The version that passed again is what the reopened DNS gate points at.
    setTargetVerified: assign(({ event }) =>
      event.type === "verify.passed" ? { promotedVersionId: event.versionId ?? null } : {},
    ),
    targetFailed: assign(({ context }) => {
      const voided = context.voided.at(-1);
      return {
        outcome: {
          reason: `${voided?.reason ?? "the DNS target changed"}; the Worker live now fails its probes, so no DNS change is asked for`,
          code: DNS_FAILURE.versionChanged,
        },
      };
    }),
    deployVerifiedAgain: assign(({ context }) => ({
      snapshotId: context.verifiedSnapshotId,
      verifiedVersionId: null,
      freshAccount: false,
    })),
    clearAccount: assign({ account: null, deploymentUrl: null, freshAccount: true }),
    redeployVerified: assign(({ context }) => ({
      account: null,
      deploymentUrl: null,
      freshAccount: true,
      snapshotId: context.verifiedSnapshotId,
    })),
    signTos: assign({ tosSignedOff: true }),
    revokeTos: assign({ tosSignedOff: false }),
    recordGate: assign(({ context, event }) => {
      if (event.type !== "gate.approved" && event.type !== "gate.rejected" && event.type !== "gate.timedOut")
        return {};
      const decision =
        event.type === "gate.approved"
          ? "approved"
          : event.type === "gate.rejected"
            ? "rejected"
            : "timedOut";
      const gateSeq = context.seq[`gate:${event.gate}`] ?? 0;
      const by = event.type === "gate.timedOut" ? null : event.by;
      const reason = event.type === "gate.timedOut" ? null : event.reason;
      return {
        now: Math.max(context.now, event.at),
        gates: [
          ...context.gates,
          { kind: event.gate, seq: gateSeq, decision, by, at: event.at, reason } as const,
        ],
      };
    }),
    setPromoted: assign(({ event }) =>
      event.type === "promote.done"
        ? { promotedUrl: event.url, promotedVersionId: event.versionId ?? null, claimPending: false }
        : {},
    ),
    markClaimPending: assign({ claimPending: true }),
    setPlan: assign(({ event }) => (event.type === "dns.planned" ? { dnsPlanRef: event.planRef } : {})),
    clearPlan: assign({ dnsPlanRef: null }),
    dnsBlocked: assign(({ event }) => ({
      outcome: {
        reason: `DNS plan blocked: ${event.type === "dns.planned" ? event.blocked : "policy"}`,
        code: "dns_blocked",
      },
    })),
    exhaust: assign(({ context, event }, params: { next: Next }) => {
      const name = blockingBudget(withDeadline(context), event.at, params.next) ?? "unknown";
      return { outcome: { reason: `budget spent: ${name}`, code: `budget_${name}` } };
    }),
    fail: assign(({ event }) => {
      const error = "error" in event ? event.error : { code: "unknown", message: event.type };
      return { outcome: { reason: error.message, code: error.code } };
    }),
    gateEnded: assign(({ event }) => {
      const kind = "gate" in event ? event.gate : "claim";
      return { outcome: gateOutcome(kind, event) };
    }),
    cancelled: assign(({ event }) => ({
      outcome: {
        reason: `cancelled${"by" in event && event.by ? ` by ${event.by}` : ""}`,
        code: "cancelled",
      },
    })),
    succeeded: assign({ outcome: { reason: "done", code: null } }),
  },
  guards: {
    capSpent: ({ context, event }) => spentCap(withDeadline(absorb(context, event)), event.at) !== null,
    deployBlocked: ({ context, event }) => blocked(context, event, "deploy"),
    canFix: ({ context, event }) => !blocked(context, event, "write"),
    needsTos: ({ context }) => !context.tosSignedOff,
    hasDns: ({ context }) => context.dns,
    isTos: ({ event }) => isGate(event, "tos"),
    tosApprovedButNoDeploysLeft: ({ context, event }) =>
      isGate(event, "tos") && blocked(context, event, "deploy"),
    isClaim: ({ event }) => isGate(event, "claim"),
    isDns: ({ event }) => isGate(event, "dns"),
    isRollbackGate: ({ event }) => isGate(event, "rollback"),
    isRollbackRun: ({ context }) => context.rollbackOf !== null,
    planBlocked: ({ event }) => event.type === "dns.planned" && event.blocked !== null,
    planEmpty: ({ event }) => event.type === "dns.planned" && event.changes === 0,
    canReverifyTarget: ({ context, event }) =>
      failureIs(event, DNS_FAILURE.versionChanged) &&
      context.rollbackOf === null &&
      (context.seq.planDns ?? 0) < MAX_DNS_PLANS,
    canReplan: ({ context, event }) =>
      failureIs(event, DNS_FAILURE.drift) &&
      context.rollbackOf === null &&
      (context.seq.planDns ?? 0) < MAX_DNS_PLANS,
    accountExpired: ({ event }) => failureIs(event, DEPLOY_FAILURE.accountExpired),
    versionChanged: ({ event }) => failureIs(event, PROMOTE_FAILURE.versionChanged),
    canRedeployChanged: ({ context, event }) =>
      failureIs(event, PROMOTE_FAILURE.versionChanged) && !blocked(context, event, "deploy"),
    canRedeployFresh: ({ context, event }) =>
      failureIs(event, DEPLOY_FAILURE.accountExpired) && !blocked(context, event, "deploy"),
    tosRequired: ({ event }) => failureIs(event, DEPLOY_FAILURE.tosRequired),
    buildError: ({ event }) => agentsToFix(event),
    canFixBuild: ({ context, event }) => agentsToFix(event) && !blocked(context, event, "write"),
    claimExpired: ({ context, event }) => isGate(event, "claim") && claimWindowClosed(context, event),
    canRedeployForClaim: ({ context, event }) =>
      isGate(event, "claim") && claimWindowClosed(context, event) && !blocked(context, event, "deploy"),
  },
});
