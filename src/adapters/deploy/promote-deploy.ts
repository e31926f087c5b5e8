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
import { subKey } from "../../ports/vocabulary.ts";
import type { DeployError, PromoteOutcome, PromoteRequest } from "../../ports/deployer.ts";
import { err, ok, type Result } from "../../ports/result.ts";
import { WORKSPACE_DIR } from "../../ports/sandbox.ts";
import type { OrganisationAccount } from "../cloudflare/organisation.ts";
import { type EgressGrantConfig, openGrant, revokeGrant } from "../egress/grants.ts";
import {
  classifyFailure,
  parseDeployRecord,
  parseDeployStdout,
  splitTrailer,
  stripAnsi,
} from "./wrangler-output.ts";
import { lastLine, WRAPPER, wranglerEnv } from "./wrangler-run.ts";

/** What wrangler sees as its token: a placeholder the egress proxy replaces. */
export const PLACEHOLDER_TOKEN = "nightshift-egress-grant";
/** A config home of its own, so the run's temporary account is neither read nor touched. */
const PROMOTE_CONFIG_HOME = "/home/sandbox/.config-promote";
const NO_CACHE = "/tmp/nightshift-no-temporary-account";
const OUTPUT_FILE = "/tmp/nightshift-wrangler-promote.ndjson";

export interface DeployPromotionOptions {
  apiBase: string;
  wrangler: readonly string[];
  timeoutMs: number;
  organisation?: OrganisationAccount;
  grants?: EgressGrantConfig;
  putLog(log: { ref: string; runId: string; kind: string; body: string }): Promise<string>;
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
  const grant = await openGrant(options.grants ?? {}, {
    upstream: org.apiBase,
    token: org.apiToken,
    // Only wrangler's own bearer is swapped: an assets-upload session JWT passes untouched.
    placeholder: PLACEHOLDER_TOKEN,
    ttlMs: options.timeoutMs + 60_000,
  });
  if (!grant.ok)
    return err({
      code: "deploy_failed",
      message: `cannot lend the organisation's token to this step: ${grant.error.message}`,
      logRef: null,
    });
  const argv = [...options.wrangler, "deploy", "--config", request.config, "--name", request.workerName];
  try {
    const result = await request.sandbox.exec(
      ["sh", "-c", WRAPPER, "nightshift-promote", NO_CACHE, OUTPUT_FILE, "0", ...argv],
      {
        cwd: WORKSPACE_DIR,
        env: {
          ...wranglerEnv(grant.value.baseUrl),
          XDG_CONFIG_HOME: PROMOTE_CONFIG_HOME,
          CLOUDFLARE_ACCOUNT_ID: org.accountId,
          CLOUDFLARE_API_TOKEN: PLACEHOLDER_TOKEN,
        },
        timeoutMs: options.timeoutMs,
        // A retried step gets the first answer back instead of deploying twice.
        idempotencyKey: subKey(request.idempotencyKey, "wrangler"),
      },
    );
    const { output, trailer } = splitTrailer(result.stdout);
    const logRef = await options.putLog({
      ref: `${request.idempotencyKey}:log`,
      runId: request.runId,
      kind: "promote-log",
      body: [
        `$ ${argv.join(" ")}`,
        `# into account ${org.accountId} through an egress grant (token held by the orchestrator)`,
        stripAnsi(output).trimEnd(),
        stripAnsi(result.stderr).trimEnd(),
        `# exit ${trailer?.exitCode ?? result.exitCode}`,
      ].join("\n"),
    });
    if (!trailer)
      return err({
        code: "deploy_failed",
        message: `the deploy wrapper exited ${result.exitCode} without a result: ${lastLine(result.stderr)}`,
        logRef,
      });
    if (trailer.exitCode !== 0) return err({ ...classifyFailure(`${output}\n${result.stderr}`), logRef });
    const url =
      (trailer.ndjson ? parseDeployRecord(trailer.ndjson) : null)?.url ?? parseDeployStdout(output).url;
    if (!url) return err({ code: "deploy_failed", message: "wrangler printed no workers.dev URL", logRef });
    return ok({
      status: "done",
      url,
      how: `deployed into the organisation's account ${org.accountId}`,
      logRef,
    });
  } finally {
    // The grant also expires by itself; a proxy that cannot be reached now must not hide the deploy's result.
    await revokeGrant(options.grants ?? {}, grant.value.id).catch((error: unknown) =>
      console.log(`nightshift promote: revoking egress grant failed: ${(error as Error).message}`),
    );
  }
}
