/**
 * The `claim` promotion: after the claim gate is approved, the run waits for
 * the claim to happen within the window. It is the human's act on
 * Cloudflare's side; nightshift only looks:
 * - the emulator's claim page says claimed / unclaimed / expired;
 * - with the organisation's account configured, the Worker appearing there
 *   through the API is a claim (this is how production sees it);
 * - with neither (a real claim page, no organisation account), nothing can be
 *   seen: the approval is the approver's confirmation, recorded as such.
 * Worker-safe.
 */
import type { DeployError, PromoteOutcome, PromoteRequest } from "../../ports/deployer.ts";
import { err, ok, type Result } from "../../ports/result.ts";
import { findOrganisationWorker, type OrganisationAccount } from "../cloudflare/organisation.ts";
import { checkClaim } from "./claim-check.ts";

export interface ClaimPromotionOptions {
  emulatorUrl?: string;
  organisation?: OrganisationAccount;
  putLog(log: { ref: string; runId: string; kind: string; body: string }): Promise<string>;
  fetch: typeof fetch;
}

export async function promoteByClaim(
  options: ClaimPromotionOptions,
  request: PromoteRequest,
): Promise<Result<PromoteOutcome, DeployError>> {
  const { account, deploymentUrl } = request;
  if (!account || !deploymentUrl)
    return err({ code: "deploy_failed", message: "there is no temporary deployment to claim", logRef: null });
  const claim = await checkClaim(account.claimUrl, {
    ...(options.emulatorUrl ? { emulatorUrl: options.emulatorUrl } : {}),
    fetch: options.fetch,
  });
  const inOrganisation =
    claim.status === "expired" || !options.organisation
      ? null
      : await findOrganisationWorker(options.organisation, request.workerName);
  const windowOpen = request.now < Math.min(account.claimExpiresAt, account.expiresAt);
  const decision = decide(claim.status, inOrganisation, windowOpen, Boolean(options.organisation));
  const logRef = await options.putLog({
    ref: `${request.idempotencyKey}:claim`,
    runId: request.runId,
    kind: "claim-check",
    body: JSON.stringify({
      claimUrl: account.claimUrl,
      accountId: account.id,
      claimPage: claim,
      inOrganisation,
      windowOpen,
      decision: decision.kind,
    }),
  });
  switch (decision.kind) {
    case "expired":
      return err({
        code: "account_expired",
        message: "the temporary account's claim window closed before it was claimed",
        logRef,
      });
    case "pending":
      return ok({ status: "pending", how: `${claim.how}; ${decision.how}`, logRef });
    case "done":
      return ok({ status: "done", url: inOrganisation ?? deploymentUrl, how: decision.how, logRef });
  }
}

type Decision = { kind: "done" | "pending" | "expired"; how: string };

/** Pure: what the claim page and the organisation's account say, and whether the window is open. */
export function decide(
  page: "claimed" | "unclaimed" | "expired" | "unknown",
  inOrganisation: string | null,
  windowOpen: boolean,
  canSeeOrganisation: boolean,
): Decision {
  if (inOrganisation) return { kind: "done", how: "the Worker is in the organisation's account" };
  if (page === "claimed" && !canSeeOrganisation) return { kind: "done", how: "the claim page says claimed" };
  if (page === "expired" || !windowOpen) return { kind: "expired", how: "the claim window closed" };
  if (page === "unknown" && !canSeeOrganisation)
    return {
      kind: "done",
      how: "nightshift cannot see the claim (no organisation account configured): the approval is the approver's confirmation",
    };
  return {
    kind: "pending",
    how:
      page === "claimed"
        ? "claimed, but not into the organisation's account yet"
        : "not claimed yet; looking again while the window is open",
  };
}
