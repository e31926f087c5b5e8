/**
 * The run's temporary account as the orchestrator holds it: taken from what the
 * step's egress grant captured (the Sandbox has placeholders only), kept out of
 * logs, and matched against the account wrangler's cache says it used.
 * Worker-safe.
 */
import type { DeployError, DeployOutput, HeldAccount } from "../../ports/deployer.ts";
import { err, ok, type Result } from "../../ports/result.ts";
import { type EgressGrantConfig, readGrantCapture } from "../egress/grants.ts";
import { parseAccountCache, type Trailer } from "./wrangler-output.ts";
import { deployedUrl, revokeQuietly } from "./wrangler-step.ts";

/** Where the orchestrator keeps runs' temporary accounts (D1 in the Worker); never a step result. */
export interface AccountVault {
  /** The run's newest account, or null. */
  held(runId: string): Promise<HeldAccount | null>;
  hold(runId: string, account: HeldAccount): Promise<void>;
}

/**
 * Reads what the step's grant captured and holds it for the run; null when nothing was
 * provisioned through it. A proxy that cannot be reached throws (the step retries); the grant
 * is revoked only once its capture is safe (otherwise it expires by itself).
 */
export async function takeCapture(
  grants: EgressGrantConfig,
  grantId: string,
  runId: string,
  vault: AccountVault,
): Promise<HeldAccount | null> {
  const state = await readGrantCapture(grants, grantId);
  let captured: HeldAccount | null = null;
  if (state.ok && state.value && state.value !== "gone") {
    const { account, claim } = state.value;
    captured = {
      id: account.id,
      name: account.name,
      apiToken: account.apiToken,
      claimUrl: claim.url,
      expiresAt: Date.parse(account.expiresAt),
      claimExpiresAt: Date.parse(claim.expiresAt),
    };
    await vault.hold(runId, captured);
  }
  await revokeQuietly(grants, grantId, "nightshift-deploy");
  return captured;
}

/** Every secret (and the grant's URL) out of a text bound for a log or a step result. */
export function redactAll(text: string, secrets: readonly string[], grantUrl: string): string {
  let out = text.split(grantUrl).join("<egress grant>");
  for (const secret of secrets) if (secret) out = out.split(secret).join("[held by nightshift]");
  return out;
}

export function readSuccess(input: {
  trailer: Trailer;
  output: string;
  logRef: string;
  /** The account the orchestrator holds for the run (captured now, or held from before). */
  account: HeldAccount | null;
}): Result<DeployOutput, DeployError> {
  const { trailer, logRef, account } = input;
  if (!trailer.account) {
    return err({
      code: "deploy_failed",
      message: "wrangler succeeded but left no temporary-account cache",
      logRef,
    });
  }
  const cache = parseAccountCache(trailer.account);
  if (!cache.ok) return err({ code: "deploy_failed", message: cache.message, logRef });
  // The Sandbox's cache only says which account wrangler used; everything else comes from what
  // the orchestrator holds, so code in the Sandbox cannot swap in another account or claim URL.
  if (!account || account.id !== cache.value.account.id)
    return err({
      code: "deploy_failed",
      message: `wrangler deployed with account ${cache.value.account.id}, whose token nightshift does not hold (it was not provisioned through this run's egress grant); deploy again with a fresh account`,
      logRef,
    });
  const { url, versionId } = deployedUrl(input);
  if (!url) {
    return err({
      code: "deploy_failed",
      message: "wrangler printed no workers.dev URL (is workers_dev disabled in the config?)",
      logRef,
    });
  }
  return ok({
    url,
    versionId,
    account: {
      id: account.id,
      claimUrl: account.claimUrl,
      expiresAt: account.expiresAt,
      claimExpiresAt: account.claimExpiresAt,
    },
    logRef,
  });
}
