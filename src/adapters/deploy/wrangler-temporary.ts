/**
 * The Deployer: the unmodified wrangler CLI, run inside the run's Sandbox,
 * deploys with `--temporary` (locally: to the Cloudflare API emulator).
 *
 * - **Terms of service.** Non-interactive wrangler accepts Cloudflare's terms
 *   on the user's behalf. This adapter refuses to run `--temporary` unless a
 *   legal sign-off for the API base is on record (`tos_required` otherwise;
 *   the machine opens the `tos` gate). Nothing is sent before that check.
 * - **One account per run.** wrangler keeps its temporary account in
 *   `$XDG_CONFIG_HOME/.wrangler/wrangler-temporary-account.toml`. The Sandbox
 *   is named after the run, and its home directory (`/home/sandbox`) is not
 *   covered by workspace snapshots, so restores never roll the cache back and
 *   redeploys of the run reuse its account. `freshAccount` deletes the cache
 *   first. The account's token stays in the Sandbox: the wrapper drops it
 *   before the cache text leaves, so it never reaches a step result, D1 or a log.
 * - **Durability.** wrangler, the cache read and the trailer run as one exec
 *   with the step's idempotency key: a retried step gets the first answer
 *   back instead of deploying (or provisioning) twice.
 * - **Results stay small.** wrangler's output is stored through `putLog` and
 *   returned by reference.
 *
 * Worker-safe (no Node imports): it only talks to the Sandbox port and `fetch`.
 */
import type {
  DeployError,
  Deployer,
  DeployOutput,
  DeployRequest,
  PromoteOutcome,
  PromoteRequest,
} from "../../ports/deployer.ts";
import { err, ok, type Result } from "../../ports/result.ts";
import { WORKSPACE_DIR } from "../../ports/sandbox.ts";
import type { OrganisationAccount } from "../cloudflare/organisation.ts";
import { observeDeployment } from "./deployed-version.ts";
import { promoteByClaim } from "./promote-claim.ts";
import { promoteByDeploy } from "./promote-deploy.ts";
import { lastLine, SANDBOX_CONFIG_HOME, WRAPPER, wranglerEnv } from "./wrangler-run.ts";

export { SANDBOX_CONFIG_HOME };
import type { EgressGrantConfig } from "../egress/grants.ts";
import {
  classifyFailure,
  parseAccountCache,
  parseDeployRecord,
  parseDeployStdout,
  splitTrailer,
  stripAnsi,
} from "./wrangler-output.ts";

export const ACCOUNT_CACHE = `${SANDBOX_CONFIG_HOME}/.wrangler/wrangler-temporary-account.toml`;
const OUTPUT_FILE = "/tmp/nightshift-wrangler-output.ndjson";

/** A legal sign-off on record for an API base (who, when). */
export interface SignoffOnRecord {
  id: string;
  signedBy: string;
  automatic: boolean;
}

export interface WranglerDeployerOptions {
  /** The Cloudflare API base wrangler talks to (`CLOUDFLARE_API_BASE_URL`). */
  apiBase: string;
  /** How to start wrangler inside the Sandbox, e.g. `["wrangler"]` or `[node, "/…/wrangler.js"]`. */
  wrangler: readonly string[];
  /** The sign-off on record for `apiBase` (or for this run's approved `tos` gate), or null. */
  findSignoff(request: { apiBase: string; runId: string }): Promise<SignoffOnRecord | null>;
  /** Stores a log or note and returns its reference (D1 artifacts in the Worker). */
  putLog(log: { ref: string; runId: string; kind: string; body: string }): Promise<string>;
  /**
   * Local mode: the emulator's URL. Claim links under it can be asked whether
   * the account was claimed; real Cloudflare claim pages need a signed-in human.
   */
  emulatorUrl?: string;
  /** The organisation's own account: where claims land and the `deploy` promotion goes. */
  organisation?: OrganisationAccount;
  /** The egress proxy that lends the organisation's token to one promotion step (never to the Sandbox itself). */
  grants?: EgressGrantConfig;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** The temporary account's token as the orchestrator holds it (see deployed-version.ts). */
  accountToken?: (request: { runId: string; accountId: string }) => Promise<string | null>;
}

export function createWranglerDeployer(options: WranglerDeployerOptions): Deployer {
  const timeoutMs = options.timeoutMs ?? 300_000;

  async function deploy(request: DeployRequest): Promise<Result<DeployOutput, DeployError>> {
    const signoff = await options.findSignoff({ apiBase: options.apiBase, runId: request.runId });
    if (!signoff) {
      return err({
        code: "tos_required",
        message: `no legal sign-off of the terms of service is on record for ${options.apiBase}: wrangler --temporary would accept them on the user's behalf`,
        logRef: null,
      });
    }
    const argv = [
      ...options.wrangler,
      "deploy",
      "--temporary",
      "--config",
      request.config,
      "--name",
      request.workerName,
    ];
    const result = await request.sandbox.exec(
      [
        "sh",
        "-c",
        WRAPPER,
        "nightshift-deploy",
        ACCOUNT_CACHE,
        OUTPUT_FILE,
        request.freshAccount ? "1" : "0",
        ...argv,
      ],
      {
        cwd: WORKSPACE_DIR,
        env: wranglerEnv(options.apiBase),
        timeoutMs,
        idempotencyKey: `${request.idempotencyKey}:wrangler`,
      },
    );
    const { output, trailer } = splitTrailer(result.stdout);
    const log = [
      `$ ${argv.join(" ")}`,
      `# sign-off ${signoff.id} by ${signoff.signedBy}${signoff.automatic ? " (automatic, local mode)" : ""}`,
      stripAnsi(output).trimEnd(),
      stripAnsi(result.stderr).trimEnd(),
      `# exit ${trailer?.exitCode ?? result.exitCode}${trailer ? ` after ${trailer.wranglerMs} ms in wrangler` : ""}`,
    ].join("\n");
    const logRef = await options.putLog({
      ref: `${request.idempotencyKey}:log`,
      runId: request.runId,
      kind: "deploy-log",
      body: log,
    });
    if (!trailer) {
      return err({
        code: "deploy_failed",
        message: `the deploy wrapper exited ${result.exitCode} without a result: ${lastLine(result.stderr)}`,
        logRef,
      });
    }
    if (trailer.exitCode !== 0) {
      const failure = classifyFailure(`${output}\n${result.stderr}`);
      return err({ ...failure, logRef });
    }
    return readSuccess({ request, trailer, output, logRef });
  }

  async function promote(request: PromoteRequest): Promise<Result<PromoteOutcome, DeployError>> {
    if (request.mode === "deploy") {
      return promoteByDeploy(
        {
          apiBase: options.apiBase,
          wrangler: options.wrangler,
          timeoutMs,
          putLog: options.putLog,
          ...(options.organisation ? { organisation: options.organisation } : {}),
          ...(options.grants ? { grants: options.grants } : {}),
        },
        request,
      );
    }
    return promoteByClaim(
      {
        ...(options.emulatorUrl ? { emulatorUrl: options.emulatorUrl } : {}),
        ...(options.organisation ? { organisation: options.organisation } : {}),
        putLog: options.putLog,
        fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      },
      request,
    );
  }

  const observe: Deployer["observe"] = (request) =>
    observeDeployment(
      {
        apiBase: options.apiBase,
        ...(options.emulatorUrl ? { emulatorUrl: options.emulatorUrl } : {}),
        ...(options.organisation ? { organisation: options.organisation } : {}),
        ...(options.accountToken ? { accountToken: options.accountToken } : {}),
        fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      },
      request,
    );

  return { deploy, promote, observe };
}

function readSuccess(input: {
  request: DeployRequest;
  trailer: { ndjson: string | null; account: string | null };
  output: string;
  logRef: string;
}): Result<DeployOutput, DeployError> {
  const { trailer, logRef } = input;
  if (!trailer.account) {
    return err({
      code: "deploy_failed",
      message: "wrangler succeeded but left no temporary-account cache",
      logRef,
    });
  }
  const cache = parseAccountCache(trailer.account);
  if (!cache.ok) return err({ code: "deploy_failed", message: cache.message, logRef });
  const record = trailer.ndjson ? parseDeployRecord(trailer.ndjson) : null;
  const fallback = parseDeployStdout(input.output);
  const url = record?.url ?? fallback.url;
  if (!url) {
    return err({
      code: "deploy_failed",
      message: "wrangler printed no workers.dev URL (is workers_dev disabled in the config?)",
      logRef,
    });
  }
  return ok({
    url,
    versionId: record?.versionId ?? fallback.versionId,
    account: {
      id: cache.value.account.id,
      claimUrl: cache.value.claim.url,
      expiresAt: cache.value.account.expiresAt,
      claimExpiresAt: cache.value.claim.expiresAt,
    },
    logRef,
  });
}
