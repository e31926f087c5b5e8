/**
 * Types of the loop machine: its input, context and events. Every event
 * carries `at` (ms since epoch) recorded by the step that produced it, so the
 * machine never reads a clock and replays identically.
 */
import type { FailureInfo, GateKind, TemporaryAccount } from "../ports/vocabulary.ts";
import type { EffectKind } from "./effects.ts";

export interface BudgetLimits {
  maxIterations: number;
  maxDeploys: number;
  /** Absolute wall-clock deadline for the working loop (ms since epoch). */
  deadlineAt: number;
  maxTokens: number;
  maxCostUsd: number;
  maxSandboxMs: number;
}

export interface LoopInput {
  runId: string;
  startedAt: number;
  budgets: BudgetLimits;
  /** True when a legal sign-off for the temporary-account terms is on record. */
  tosSignedOff: boolean;
  promotion: "claim" | "deploy";
  /** True when the job declares a production DNS change after promotion. */
  dns: boolean;
  gateTimeoutsMs: Record<GateKind, number>;
  /**
   * Set when this run undoes another run's DNS change: it starts at planning the rollback
   * (the other run's recorded inverse plan), waits at the `rollback` gate and applies it.
   */
  rollbackOf?: string | null;
}

export interface GateDecision {
  kind: GateKind;
  seq: number;
  decision: "approved" | "rejected" | "timedOut";
  by: string | null;
  at: number;
  reason: string | null;
}

/** An approval that no longer holds: the gate it came from, and why (shown on the gate that reopens). */
export interface VoidedApproval {
  gate: GateKind;
  /** The seq of the gate whose approval was voided; the reopened gate is the next one of its kind. */
  seq: number;
  code: string;
  reason: string;
  at: number;
}

export interface Spent {
  iterations: number;
  deploys: number;
  tokens: number;
  costUsd: number;
  sandboxMs: number;
}

export interface Outcome {
  reason: string;
  code: string | null;
}

export interface LoopContext {
  runId: string;
  startedAt: number;
  now: number;
  budgets: BudgetLimits;
  spent: Spent;
  /** How many times each effect kind has been entered: feeds step names. */
  seq: Partial<Record<EffectKind, number>>;
  tosSignedOff: boolean;
  promotion: "claim" | "deploy";
  dns: boolean;
  gateTimeoutsMs: Record<GateKind, number>;
  /** Snapshot the Sandbox must be at for the next step. */
  snapshotId: string | null;
  /** Snapshot that last passed verification: what a claim or promotion ships. */
  verifiedSnapshotId: string | null;
  /**
   * The Worker version Cloudflare reported live while the passing probes ran (null when it
   * could not be read). A claim approval binds to it: promotion reads the version again first.
   */
  verifiedVersionId: string | null;
  /** The version the promoted Worker serves (null when unknown): what the DNS change points at. */
  promotedVersionId: string | null;
  /** Approvals made void because what they approved changed; the reopened gate shows why. */
  voided: VoidedApproval[];
  account: TemporaryAccount | null;
  deploymentUrl: string | null;
  /** Reference to the last verification report (or build failure) in storage. */
  reportRef: string | null;
  /** Set when a claim approval came after the account expired: redeploy into a fresh account. */
  freshAccount: boolean;
  promotedUrl: string | null;
  /** True while a claim was approved but not seen yet: the promote step looks again after a pause. */
  claimPending: boolean;
  /** Reference to the DNS change plan (or rollback plan) the gate shows and the apply step applies. */
  dnsPlanRef: string | null;
  rollbackOf: string | null;
  gates: GateDecision[];
  outcome: Outcome | null;
}

export interface Usage {
  tokens: number;
  costUsd: number;
}

type At = { at: number };

export type LoopEvent =
  | ({
      type: "prepare.done";
      snapshotId: string;
      sandboxMs: number;
      /** True when the job's setup snapshot was restored instead of running setup again. */
      reusedSetup?: boolean;
    } & At)
  | ({ type: "prepare.failed"; error: FailureInfo; sandboxMs: number } & At)
  | ({
      type: "write.done";
      snapshotId: string;
      usage: Usage;
      sandboxMs: number;
      /** What the agent says it did; a replayed session's summary says so. Shown, never decided on. */
      summary?: string;
      replay?: boolean;
    } & At)
  | ({ type: "write.failed"; error: FailureInfo; usage: Usage; sandboxMs: number } & At)
  | ({ type: "deploy.done"; url: string; account: TemporaryAccount; sandboxMs: number } & At)
  | ({ type: "deploy.failed"; error: FailureInfo; reportRef: string | null; sandboxMs: number } & At)
  | ({
      type: "verify.passed";
      reportRef: string;
      sandboxMs: number;
      /** The deployment's version as Cloudflare reports it while the probes ran; null when unknown. */
      versionId?: string | null;
    } & At)
  | ({
      type: "verify.failed";
      reportRef: string;
      /** The failing checks in one line (`failingSummary`), for every reader; absent in older events. */
      failing?: string;
      sandboxMs: number;
    } & At)
  | ({ type: "gate.approved"; gate: GateKind; by: string; reason: string | null } & At)
  | ({ type: "gate.rejected"; gate: GateKind; by: string; reason: string | null } & At)
  | ({ type: "gate.timedOut"; gate: GateKind } & At)
  | ({
      type: "promote.done";
      url: string;
      /** The promoted Worker's version (null when it cannot be read). */
      versionId?: string | null;
    } & At)
  /** The claim was approved but has not happened yet (the claim window is still open). */
  | ({ type: "promote.pending"; how: string } & At)
  | ({
      type: "dns.planned";
      planRef: string;
      /** Changes that are not no-ops. */
      changes: number;
      /** Set when a policy check blocks the plan: why, in words. */
      blocked: string | null;
    } & At)
  | ({ type: "promote.failed"; error: FailureInfo } & At)
  | ({ type: "dns.applied"; rollbackRef: string | null } & At)
  | ({ type: "dns.failed"; error: FailureInfo } & At)
  | ({ type: "run.cancelled"; by: string | null } & At);

export type LoopEventType = LoopEvent["type"];

/** How many times a run plans its DNS change before drift fails it. */
export const MAX_DNS_PLANS = 3;
