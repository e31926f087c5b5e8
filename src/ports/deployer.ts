/**
 * The Deployer port: `wrangler deploy --temporary` inside the run's Sandbox,
 * and promotion of verified code (claim, or deploy into the organisation's
 * own account).
 */
import { z } from "zod";
import type { Result } from "./result.ts";
import type { Sandbox } from "./sandbox.ts";

export const DEPLOY_ERROR_CODES = [
  "build_error",
  "upload_rejected",
  "account_expired",
  "tos_required",
  "rate_limited",
  "deploy_failed",
] as const;
export type DeployErrorCode = (typeof DEPLOY_ERROR_CODES)[number];

export const temporaryAccountSchema = z.object({
  id: z.string().min(1),
  claimUrl: z.string().url(),
  expiresAt: z.number(),
  claimExpiresAt: z.number(),
});

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
  idempotencyKey: string;
  runId: string;
  workerName: string;
  /** wrangler config path inside the workspace. */
  config: string;
  /** Throw away any cached temporary account and provision a new one. */
  freshAccount: boolean;
  sandbox: Sandbox;
}

export interface PromoteRequest {
  idempotencyKey: string;
  runId: string;
  mode: "claim" | "deploy";
  workerName: string;
  /** wrangler config path inside the workspace (the `deploy` strategy runs wrangler again). */
  config: string;
  account: z.infer<typeof temporaryAccountSchema> | null;
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

export interface Deployer {
  deploy(request: DeployRequest): Promise<Result<DeployOutput, DeployError>>;
  promote(request: PromoteRequest): Promise<Result<PromoteOutcome, DeployError>>;
}
