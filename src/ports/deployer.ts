/**
 * The Deployer port: `wrangler deploy --temporary` inside the run's Sandbox,
 * and promotion of verified code (claim, or deploy into the organisation's
 * own account).
 */
import type { DeployErrorCode, IdempotencyKey, TemporaryAccount } from "./vocabulary.ts";
import { z } from "zod";
import type { Result } from "./result.ts";
import type { Sandbox } from "./sandbox.ts";

export const temporaryAccountSchema = z.object({
  id: z.string().min(1),
  claimUrl: z.string().url(),
  expiresAt: z.number(),
  claimExpiresAt: z.number(),
}) satisfies z.ZodType<TemporaryAccount>;

export const deployOutputSchema = z.object({
  url: z.string().url(),
  versionId: z.string().nullable(),
  account: temporaryAccountSchema,
  /** wrangler's output, stored by reference. */
  logRef: z.string().nullable(),
});
export type DeployOutput = z.infer<typeof deployOutputSchema>;

export interface DeployError {
  code: DeployErrorCode;
  message: string;
  logRef: string | null;
}

export interface DeployRequest {
  idempotencyKey: IdempotencyKey;
  runId: string;
  workerName: string;
  /** wrangler config path inside the workspace. */
  config: string;
  /** Throw away any cached temporary account and provision a new one. */
  freshAccount: boolean;
  sandbox: Sandbox;
}

export interface PromoteRequest {
  idempotencyKey: IdempotencyKey;
  runId: string;
  mode: "claim" | "deploy";
  workerName: string;
  /** wrangler config path inside the workspace (the `deploy` strategy runs wrangler again). */
  config: string;
  account: TemporaryAccount | null;
  deploymentUrl: string | null;
  /** The Sandbox, already at the verified snapshot. */
  sandbox: Sandbox;
  /** ms since epoch, from the step's clock. */
  now: number;
}

/**
 * `done`: the Worker is where it should be (claimed into an account, or deployed to the
 * organisation's). `pending`: the claim was approved but has not happened yet and the
 * claim window is still open; the run looks again after a pause.
 */
export type PromoteOutcome =
  | { status: "done"; url: string; how: string; logRef: string | null }
  | { status: "pending"; how: string; logRef: string | null };

/** What the run's Worker looks like on Cloudflare's side now (issue 15: an approval binds to it). */
export interface ObserveRequest {
  runId: string;
  workerName: string;
  /** The run's temporary account; null before the first deploy. */
  account: TemporaryAccount | null;
  /** Where to read the version: the organisation's account (a promoted Worker), else wherever the Worker is now. */
  in?: "organisation";
  /** Only the claim page: no version read (nothing to bind at a gate's settle). */
  claimOnly?: boolean;
}

export interface Observation {
  /**
   * The version Cloudflare reports live for the Worker (its latest deployment), and in which
   * account it was found; null when it cannot be read (no token, no such Worker).
   */
  version: { id: string; where: "temporary" | "organisation" } | null;
  /** Whether the temporary account was claimed, and when (ms since epoch; null when unknown). */
  claim: { status: "claimed" | "unclaimed" | "expired" | "unknown"; at: number | null; how: string };
}

export interface Deployer {
  deploy(request: DeployRequest): Promise<Result<DeployOutput, DeployError>>;
  promote(request: PromoteRequest): Promise<Result<PromoteOutcome, DeployError>>;
  /** Reads the live version and the claim state through the Cloudflare API; never changes anything. */
  observe(request: ObserveRequest): Promise<Observation>;
}

/**
 * A run's temporary account as the orchestrator holds it, token and claim URL included (issue
 * 15): captured by the deploy step's egress grant, kept in D1, never in a Sandbox, a step result,
 * an event or a log.
 */
export interface HeldAccount {
  id: string;
  name: string;
  apiToken: string;
  claimUrl: string;
  /** ms since epoch */
  expiresAt: number;
  claimExpiresAt: number;
}
