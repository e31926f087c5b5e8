/**
 * The loop machine: the whole policy of a run, pure. It decides which effect
 * comes next (each non-final state names one in `meta.effect`), when to fix
 * again, when a budget is spent, which gate to open and what an expired
 * temporary account means. It performs no I/O and reads no clock: time
 * arrives as `at` on every event. Drive it with `initialTransition` and
 * `transition` (see `src/run/driver.ts`). This file is the chart; the named
 * actions and guards it refers to are in `setup.ts`.
 */
import { initialContext } from "./context.ts";
import type { GateKind } from "../ports/vocabulary.ts";
import { loopSetup } from "./setup.ts";

/** The guard that lets only the answer to the gate a state is waiting on through. */
const GATE_GUARD = {
  tos: "isTos",
  claim: "isClaim",
  dns: "isDns",
  rollback: "isRollbackGate",
} as const satisfies Record<GateKind, string>;

/**
 * A state waiting on a human at gate `kind`: the gate is its effect; a rejection or a
 * timeout ends the run alike for every gate, only what an approval leads to differs.
 */
function gateState<const K extends GateKind, const A>(kind: K, approved: A) {
  const guard = GATE_GUARD[kind];
  return {
    meta: { effect: `gate:${kind}` },
    entry: [{ type: "enterEffect", params: { kind: `gate:${kind}` } }],
    on: {
      "gate.approved": approved,
      "gate.rejected": { guard, target: "rejected", actions: ["recordGate", "gateEnded"] },
      "gate.timedOut": { guard, target: "expired", actions: ["recordGate", "gateEnded"] },
    },
  } as const;
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

export const loopMachine = loopSetup.createMachine({
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
    awaitingTos: gateState("tos", [
      {
        guard: "tosApprovedButNoDeploysLeft",
        target: "budgetExhausted",
        actions: ["recordGate", "signTos", { type: "exhaust", params: { next: "deploy" } }],
      },
      { guard: "isTos", target: "deploying", actions: ["recordGate", "signTos"] },
    ]),
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
    awaitingClaim: gateState("claim", [
      { guard: "canRedeployForClaim", target: "deploying", actions: ["recordGate", "redeployVerified"] },
      {
        guard: "claimExpired",
        target: "budgetExhausted",
        actions: ["recordGate", { type: "exhaust", params: { next: "deploy" } }],
      },
      { guard: "isClaim", target: "promoting", actions: ["recordGate"] },
    ]),
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
    awaitingDns: gateState("dns", { guard: "isDns", target: "applyingDns", actions: ["recordGate"] }),
    awaitingRollback: gateState("rollback", {
      guard: "isRollbackGate",
      target: "applyingDns",
      actions: ["recordGate"],
    }),
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
