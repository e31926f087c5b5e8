/**
 * The `deploy` promotion: after the claim gate is approved, the verified
 * snapshot is deployed with the unmodified wrangler CLI into the
 * organisation's own account. The account's API token is a secret of the
 * orchestrator and never enters the Sandbox: for this one step the egress
 * proxy opens a grant, wrangler is pointed at the grant's base URL with a
 * placeholder token, the proxy swaps in the real token on the way out, and
 * the grant is revoked when the step ends (it also expires by itself).
 * Worker-safe.
 */
import type { DeployError, PromoteOutcome, PromoteRequest } from "../../ports/deployer.ts";
import { err, ok, type Result } from "../../ports/result.ts";
import type { OrganisationAccount } from "../cloudflare/organisation.ts";
import type { EgressGrantConfig } from "../egress/grants.ts";
import { wranglerEnv } from "./wrangler-run.ts";
import {
  type DeployRetry,
  deployedUrl,
  PLACEHOLDER_TOKEN,
  runWranglerStep,
  withTries,
} from "./wrangler-step.ts";

/** A config home of its own, so the run's temporary account is neither read nor touched. */
const PROMOTE_CONFIG_HOME = "/home/sandbox/.config-promote";
const NO_CACHE = "/tmp/nightshift-no-temporary-account";
const OUTPUT_FILE = "/tmp/nightshift-wrangler-promote.ndjson";

export interface DeployPromotionOptions {
  apiBase: string;
  wrangler: readonly string[];
  organisation?: OrganisationAccount;
  grants?: EgressGrantConfig;
  putLog(log: { ref: string; runId: string; kind: string; body: string }): Promise<string>;
  retry: DeployRetry;
}

export async function promoteByDeploy(
  options: DeployPromotionOptions,
  request: PromoteRequest,
): Promise<Result<PromoteOutcome, DeployError>> {
  const org = options.organisation;
  if (!org)
    return err({
      code: "deploy_failed",
      message:
        'promotion "deploy" needs the organisation\'s account: set CLOUDFLARE_ACCOUNT_ID and the CLOUDFLARE_API_TOKEN secret',
      logRef: null,
    });
  // Always nightshift's own wrangler, never the project's: this step is lent the organisation's
  // token, and a project's node_modules (which could hold a wrangler of the agent's making) are
  // not in the diff the approver read. The temporary deploy may run the project's own: it acts
  // on the run's own throwaway account only.
  const argv = [...options.wrangler, "deploy", "--config", request.config, "--name", request.workerName];
  const run = await withTries(
    options.retry,
    request.idempotencyKey,
    `nightshift-promote: ${request.runId}`,
    (the) =>
      runWranglerStep({
        grants: options.grants ?? {},
        grant: {
          upstream: org.apiBase,
          token: org.apiToken,
          // Only wrangler's own bearer is swapped: an assets-upload session JWT passes untouched.
          placeholder: PLACEHOLDER_TOKEN,
          ttlMs: the.timeoutMs + 60_000,
        },
        grantRefused: "cannot lend the organisation's token to this step",
        sandbox: request.sandbox,
        argv,
        script: "nightshift-promote",
        accountCache: NO_CACHE,
        outputFile: OUTPUT_FILE,
        fresh: false,
        env: (grantUrl) => ({
          ...wranglerEnv(grantUrl),
          XDG_CONFIG_HOME: PROMOTE_CONFIG_HOME,
          CLOUDFLARE_ACCOUNT_ID: org.accountId,
          CLOUDFLARE_API_TOKEN: PLACEHOLDER_TOKEN,
        }),
        timeoutMs: the.timeoutMs,
        idempotencyKey: the.key,
        runId: request.runId,
        log: {
          kind: "promote-log",
          notes: [
            `# into account ${org.accountId} through an egress grant (token held by the orchestrator)`,
            "# wrangler: nightshift's own (a project's own wrangler never gets the organisation's token)",
          ],
          timing: false,
        },
        putLog: options.putLog,
      }),
  );
  if (!run.ok) return run;
  const { logRef } = run.value;
  const { url } = deployedUrl(run.value);
  if (!url) return err({ code: "deploy_failed", message: "wrangler printed no workers.dev URL", logRef });
  return ok({
    status: "done",
    url,
    how: `deployed into the organisation's account ${org.accountId}`,
    logRef,
  });
}
