/**
 * The shared words, defined once: gate kinds and statuses, the failure codes the loop acts
 * on, the temporary account, idempotency keys, gate ids and the events gates wait for.
 *
 * This file imports nothing, so every room may import it: the loop machine (the ground
 * floor) takes its types from here, and so do the ports, the store, the API and the inbox.
 * A new gate kind starts here.
 */

/** The states a run ends in. */
export const FINAL_STATES = [
  "succeeded",
  "failed",
  "rejected",
  "cancelled",
  "budgetExhausted",
  "expired",
] as const;
export type FinalState = (typeof FINAL_STATES)[number];

export function isFinalState(state: string): state is FinalState {
  return (FINAL_STATES as readonly string[]).includes(state);
}

/**
 * Every state a run's machine can be in, in the machine's own order (the inbox filters by them;
 * `test/loop/vocabulary.test.ts` holds this list to `src/loop/machine.ts`).
 */
export const RUN_STATES = [
  "starting",
  "preparing",
  "writing",
  "fixing",
  "awaitingTos",
  "deploying",
  "verifying",
  "awaitingClaim",
  "promoting",
  "planningDns",
  "awaitingDns",
  "awaitingRollback",
  "applyingDns",
  "reverifyingTarget",
  ...FINAL_STATES,
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const GATE_KINDS = ["tos", "claim", "dns", "rollback"] as const;
export type GateKind = (typeof GATE_KINDS)[number];

export function isGateKind(value: string): value is GateKind {
  return (GATE_KINDS as readonly string[]).includes(value);
}

export const GATE_STATUSES = ["pending", "approved", "rejected", "expired", "cancelled"] as const;
export type GateStatus = (typeof GATE_STATUSES)[number];

/**
 * What a deploy (or a promotion) can fail with; the loop acts on `build_error`, `account_expired`,
 * `tos_required` and `unsupported_config` (the Worker config asks for what a temporary account
 * does not have, or the project pins a wrangler without `--temporary`: found before wrangler runs).
 */
export const DEPLOY_ERROR_CODES = [
  "build_error",
  "unsupported_config",
  "upload_rejected",
  "account_expired",
  "tos_required",
  "rate_limited",
  "deploy_failed",
] as const;
export type DeployErrorCode = (typeof DEPLOY_ERROR_CODES)[number];

/** Deploy failure codes the machine treats specially; any other code fails the run. */
export const DEPLOY_FAILURE = {
  buildError: "build_error",
  unsupportedConfig: "unsupported_config",
  accountExpired: "account_expired",
  tosRequired: "tos_required",
} as const satisfies Record<string, DeployErrorCode>;

/**
 * Promotion failure codes the machine treats specially. `version_changed`: the Worker's live
 * version is not the one verified, so the claim approval is void; the verified snapshot is
 * deployed and verified again and the claim gate reopens with the reason.
 */
export const PROMOTE_FAILURE = {
  versionChanged: "version_changed",
} as const;

export const DNS_ERROR_CODES = [
  "not_configured",
  "zone_not_found",
  "blocked",
  "drift",
  "apply_failed",
  "verify_failed",
] as const;
export type DnsErrorCode = (typeof DNS_ERROR_CODES)[number];

/** DNS failure codes the machine treats specially. */
export const DNS_FAILURE = {
  /** The zone changed since the plan was approved: the approval is void, plan again. */
  drift: "drift",
  /**
   * The target Worker no longer serves the version promoted: the DNS approval is void; the
   * Worker live now is verified (its probes), and a passing one is planned and asked for again.
   */
  versionChanged: "version_changed",
} as const;

/**
 * How a fault outside the machine ended a run (the `run.aborted` event and the run's outcome
 * code, state `failed`): `outage` — a dependency (the Sandbox host, the egress proxy) stayed
 * away past the step's retries; `workflow_error` — any other fault a step threw past its
 * retries (D1, a step timeout, a bug); `invariant_broken` — a row or plan that must exist did
 * not, which no retry mends.
 */
export const ABORT_CODES = ["outage", "workflow_error", "invariant_broken"] as const;
export type AbortCode = (typeof ABORT_CODES)[number];

/**
 * The one list of failures a run can be resumed from (`POST /api/runs/:id/resume`): the
 * infrastructure ones. A run the loop itself ended (budget spent, verification failed, a gate
 * rejected or expired, cancelled) or whose invariant broke is over.
 */
export const RESUMABLE_FAILURES: readonly AbortCode[] = ["outage", "workflow_error"];

/** Whether a final run in `state` with outcome code `code` failed on infrastructure. */
export function failedOnInfrastructure(state: string, code: string | null | undefined): boolean {
  return state === "failed" && (RESUMABLE_FAILURES as readonly (string | null | undefined)[]).includes(code);
}

/** An expected failure, as steps return it: a code the loop can act on and words for people. */
export interface FailureInfo {
  code: string;
  message: string;
}

/** A temporary account as the loop knows it (its token stays with the orchestrator). */
export interface TemporaryAccount {
  id: string;
  claimUrl: string;
  /** When the account (and its Workers) is deleted unless claimed. */
  expiresAt: number;
  claimExpiresAt: number;
}

/**
 * What an adapter that creates something records, so that a step run again finds what its
 * first attempt made instead of making it twice: `runId:stepName`, and sub-keys below it.
 */
export type IdempotencyKey = string & { readonly __brand: "IdempotencyKey" };

/** The key of one durable step of a run. */
export function idempotencyKey(runId: string, step: string): IdempotencyKey {
  return `${runId}:${step}` as IdempotencyKey;
}

/** The key of one part of what a keyed call makes (its log, its snapshot, its n-th change). */
export function subKey(key: IdempotencyKey, part: string | number): IdempotencyKey {
  return `${key}:${part}` as IdempotencyKey;
}

/** A key minted outside the run steps (a job-level notice, a test), as it is written. */
export function asIdempotencyKey(text: string): IdempotencyKey {
  return text as IdempotencyKey;
}

/** The id of a gate row: unique per run, kind and round. */
export function gateId(runId: string, kind: GateKind, seq: number): string {
  return `${runId}:${kind}:${seq}`;
}

/** Event type a gate waits for; Workflows allows `^[a-zA-Z0-9_][a-zA-Z0-9-_]*$`. */
export function gateEventType(kind: GateKind, seq: number): string {
  return `gate-${kind}-${seq}`;
}

/**
 * How people name a gate of a run: `claim` (the run's latest gate of that kind) or `claim-2`
 * (a given round). Null when the text names no gate.
 */
export function parseGateRef(ref: string): { kind: GateKind; seq: number | null } | null {
  const match = /^([a-z]+)(?:-(\d+))?$/.exec(ref);
  if (!match || !isGateKind(match[1]!)) return null;
  return { kind: match[1], seq: match[2] ? Number(match[2]) : null };
}
