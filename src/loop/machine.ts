/**
 * The loop machine: the whole policy of a run, pure. It decides which effect
 * comes next (each non-final state names one in `meta.effect`), when to fix
 * again, when a budget is spent, which gate to open and what an expired
 * temporary account means. It performs no I/O and reads no clock: time
 * arrives as `at` on every event. Drive it with `initialTransition` and
 * `transition` (see `src/run/driver.ts`).
 */
import { assign, setup } from "xstate";
import { blockingBudget, spentCap } from "./budgets.ts";
import { absorb, initialContext } from "./context.ts";
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

/** A write and a fix round end alike: deploy next, unless the budget or the terms say otherwise. */
const afterWrite = {
  "write.done": [
    {
      guard: "deployBlocked",
      target: "budgetExhausted",
      actions: ["absorb", "setSnapshot", { type: "exhaust", params: { next: "deploy" } }],
    },
    { guard: "needsTos", target: "awaitingTos", actions: ["absorb", "setSnapshot"] },
    { target: "deploying", actions: ["absorb", "setSnapshot"] },
  ],
  "write.failed": { target: "failed", actions: ["absorb", "fail"] },
} as const;

export const loopMachine = setup({
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
    buildError: ({ event }) => failureIs(event, DEPLOY_FAILURE.buildError),
    canFixBuild: ({ context, event }) =>
      failureIs(event, DEPLOY_FAILURE.buildError) && !blocked(context, event, "write"),
    claimExpired: ({ context, event }) => isGate(event, "claim") && claimWindowClosed(context, event),
    canRedeployForClaim: ({ context, event }) =>
      isGate(event, "claim") && claimWindowClosed(context, event) && !blocked(context, event, "deploy"),
  },
}).createMachine({
  id: "loop",
  context: ({ input }) => initialContext(input),
  initial: "starting",
  on: { "run.cancelled": { target: ".cancelled", actions: ["absorb", "cancelled"] } },
  states: {
    // Never rests here: a rollback run starts at its plan, every other run at preparing.
    starting: {
      always: [{ guard: "isRollbackRun", target: "planningDns" }, { target: "preparing" }],
    },
    preparing: {
      meta: { effect: "prepare" },
      entry: [{ type: "enterEffect", params: { kind: "prepare" } }],
      on: {
        "prepare.done": [
          {
            guard: "capSpent",
            target: "budgetExhausted",
            actions: ["absorb", { type: "exhaust", params: { next: "none" } }],
          },
          { target: "writing", actions: ["absorb", "setSnapshot"] },
        ],
        "prepare.failed": { target: "failed", actions: ["absorb", "fail"] },
      },
    },
    writing: {
      meta: { effect: "write" },
      entry: [{ type: "enterEffect", params: { kind: "write" } }, "countIteration"],
      on: afterWrite,
    },
    fixing: {
      meta: { effect: "fix" },
      entry: [{ type: "enterEffect", params: { kind: "fix" } }, "countIteration"],
      on: afterWrite,
    },
    awaitingTos: {
      meta: { effect: "gate:tos" },
      entry: [{ type: "enterEffect", params: { kind: "gate:tos" } }],
      on: {
        "gate.approved": [
          {
            guard: "tosApprovedButNoDeploysLeft",
            target: "budgetExhausted",
            actions: ["recordGate", "signTos", { type: "exhaust", params: { next: "deploy" } }],
          },
          { guard: "isTos", target: "deploying", actions: ["recordGate", "signTos"] },
        ],
        "gate.rejected": { guard: "isTos", target: "rejected", actions: ["recordGate", "gateEnded"] },
        "gate.timedOut": { guard: "isTos", target: "expired", actions: ["recordGate", "gateEnded"] },
      },
    },
    deploying: {
      meta: { effect: "deploy" },
      entry: [{ type: "enterEffect", params: { kind: "deploy" } }, "countDeploy"],
      on: {
        "deploy.done": [
          {
            guard: "capSpent",
            target: "budgetExhausted",
            actions: ["absorb", "setDeployment", { type: "exhaust", params: { next: "none" } }],
          },
          { target: "verifying", actions: ["absorb", "setDeployment"] },
        ],
        "deploy.failed": [
          {
            guard: "canRedeployFresh",
            target: "deploying",
            reenter: true,
            actions: ["absorb", "clearAccount"],
          },
          {
            guard: "accountExpired",
            target: "budgetExhausted",
            actions: ["absorb", { type: "exhaust", params: { next: "deploy" } }],
          },
          { guard: "tosRequired", target: "awaitingTos", actions: ["absorb", "revokeTos"] },
          {
            guard: "canFixBuild",
            target: "fixing",
            actions: ["absorb", "setReport"],
          },
          {
            guard: "buildError",
            target: "budgetExhausted",
            actions: ["absorb", "setReport", { type: "exhaust", params: { next: "write" } }],
          },
          { target: "failed", actions: ["absorb", "fail"] },
        ],
      },
    },
    verifying: {
      meta: { effect: "verify" },
      entry: [{ type: "enterEffect", params: { kind: "verify" } }],
      on: {
        "verify.passed": { target: "awaitingClaim", actions: ["absorb", "setReport", "markVerified"] },
        "verify.failed": [
          { guard: "canFix", target: "fixing", actions: ["absorb", "setReport"] },
          {
            target: "budgetExhausted",
            actions: ["absorb", "setReport", { type: "exhaust", params: { next: "write" } }],
          },
        ],
      },
    },
    awaitingClaim: {
      meta: { effect: "gate:claim" },
      entry: [{ type: "enterEffect", params: { kind: "gate:claim" } }],
      on: {
        "gate.approved": [
          {
            guard: "canRedeployForClaim",
            target: "deploying",
            actions: ["recordGate", "redeployVerified"],
          },
          {
            guard: "claimExpired",
            target: "budgetExhausted",
            actions: ["recordGate", { type: "exhaust", params: { next: "deploy" } }],
          },
          { guard: "isClaim", target: "promoting", actions: ["recordGate"] },
        ],
        "gate.rejected": { guard: "isClaim", target: "rejected", actions: ["recordGate", "gateEnded"] },
        "gate.timedOut": { guard: "isClaim", target: "expired", actions: ["recordGate", "gateEnded"] },
      },
    },
    promoting: {
      meta: { effect: "promote" },
      entry: [{ type: "enterEffect", params: { kind: "promote" } }],
      on: {
        "promote.done": [
          { guard: "hasDns", target: "planningDns", actions: ["absorb", "setPromoted"] },
          { target: "succeeded", actions: ["absorb", "setPromoted", "succeeded"] },
        ],
        // Approved but not claimed yet: look again (the step answers pending only while the window is open).
        "promote.pending": { target: "promoting", reenter: true, actions: ["absorb", "markClaimPending"] },
        "promote.failed": [
          {
            guard: "canRedeployChanged",
            target: "deploying",
            actions: ["absorb", "voidClaimApproval", "deployVerifiedAgain"],
          },
          {
            guard: "versionChanged",
            target: "budgetExhausted",
            actions: ["absorb", "voidClaimApproval", { type: "exhaust", params: { next: "deploy" } }],
          },
          {
            guard: "canRedeployFresh",
            target: "deploying",
            actions: ["absorb", "redeployVerified"],
          },
          { target: "failed", actions: ["absorb", "fail"] },
        ],
      },
    },
    planningDns: {
      meta: { effect: "planDns" },
      entry: [{ type: "enterEffect", params: { kind: "planDns" } }],
      on: {
        "dns.planned": [
          { guard: "planBlocked", target: "failed", actions: ["absorb", "setPlan", "dnsBlocked"] },
          // Nothing to change: nothing to approve; applying only verifies.
          { guard: "planEmpty", target: "applyingDns", actions: ["absorb", "setPlan"] },
          { guard: "isRollbackRun", target: "awaitingRollback", actions: ["absorb", "setPlan"] },
          { target: "awaitingDns", actions: ["absorb", "setPlan"] },
        ],
        "dns.failed": { target: "failed", actions: ["absorb", "fail"] },
      },
    },
    awaitingDns: {
      meta: { effect: "gate:dns" },
      entry: [{ type: "enterEffect", params: { kind: "gate:dns" } }],
      on: {
        "gate.approved": { guard: "isDns", target: "applyingDns", actions: ["recordGate"] },
        "gate.rejected": { guard: "isDns", target: "rejected", actions: ["recordGate", "gateEnded"] },
        "gate.timedOut": { guard: "isDns", target: "expired", actions: ["recordGate", "gateEnded"] },
      },
    },
    awaitingRollback: {
      meta: { effect: "gate:rollback" },
      entry: [{ type: "enterEffect", params: { kind: "gate:rollback" } }],
      on: {
        "gate.approved": { guard: "isRollbackGate", target: "applyingDns", actions: ["recordGate"] },
        "gate.rejected": {
          guard: "isRollbackGate",
          target: "rejected",
          actions: ["recordGate", "gateEnded"],
        },
        "gate.timedOut": {
          guard: "isRollbackGate",
          target: "expired",
          actions: ["recordGate", "gateEnded"],
        },
      },
    },
    applyingDns: {
      meta: { effect: "applyDns" },
      entry: [{ type: "enterEffect", params: { kind: "applyDns" } }],
      on: {
        "dns.applied": { target: "succeeded", actions: ["absorb", "succeeded"] },
        "dns.failed": [
          // The zone changed after the approval: the approval is void, plan again and ask again.
          { guard: "canReplan", target: "planningDns", actions: ["absorb", "clearPlan"] },
          // The target Worker changed: void, verify what is live now, then plan and ask again.
          { guard: "canReverifyTarget", target: "reverifyingTarget", actions: ["absorb", "voidDnsApproval"] },
          { target: "failed", actions: ["absorb", "fail"] },
        ],
      },
    },
    reverifyingTarget: {
      meta: { effect: "verify" },
      entry: [{ type: "enterEffect", params: { kind: "verify" } }],
      on: {
        "verify.passed": { target: "planningDns", actions: ["absorb", "setReport", "setTargetVerified"] },
        "verify.failed": { target: "failed", actions: ["absorb", "setReport", "targetFailed"] },
      },
    },
    succeeded: { type: "final" },
    failed: { type: "final" },
    rejected: { type: "final" },
    cancelled: { type: "final" },
    budgetExhausted: { type: "final" },
    expired: { type: "final" },
  },
});

export type LoopMachine = typeof loopMachine;
