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
 *   first.
 * - **No credential rests in the Sandbox** (issue 15). wrangler talks to the
 *   Cloudflare API only through a capturing egress grant opened for this step
 *   (grant-api.ts): the provisioning answer reaches it with a placeholder token
 *   and claim URL, so its cache holds placeholders only; the proxy keeps the
 *   real ones, which the orchestrator reads when the step ends and holds
 *   (`accounts`, D1 in the Worker). A later deploy of the run lends the held
 *   token to its grant, which swaps it in for `Bearer <placeholder>` only (the
 *   assets-upload session JWT passes untouched). The grant is revoked when the
 *   step ends. The token never reaches a step result, an event or a log; the
 *   claim URL only the run's account record (for the claim gate).
 * - **Durability.** wrangler, the cache read and the trailer run as one exec
 *   with the step's idempotency key: a retried step gets the first answer
 *   back instead of deploying (or provisioning) twice.
 * - **Results stay small.** wrangler's output is stored through `putLog` and
 *   returned by reference.
 *
 * Worker-safe (no Node imports): it only talks to the Sandbox port and `fetch`.
 */
import { type IdempotencyKey, subKey } from "../../ports/vocabulary.ts";
import type {
  DeployError,
  Deployer,
  DeployOutput,
  DeployRequest,
  HeldAccount,
  PromoteOutcome,
  PromoteRequest,
} from "../../ports/deployer.ts";

export type { AccountVault, HeldAccount };
import { err, type Result } from "../../ports/result.ts";
import type { OrganisationAccount } from "../cloudflare/organisation.ts";
import type { EgressGrantConfig } from "../egress/grants.ts";
import { observeDeployment } from "./deployed-version.ts";
import { checkProject, type DeployPlan } from "./project-check.ts";
import { promoteByClaim } from "./promote-claim.ts";
import { promoteByDeploy } from "./promote-deploy.ts";
import { type AccountVault, readSuccess, redactAll, takeCapture } from "./temporary-account.ts";
import { parseAccountCache } from "./wrangler-output.ts";
import { SANDBOX_CONFIG_HOME, wranglerEnv } from "./wrangler-run.ts";
import {
  type DeployRetry,
  PLACEHOLDER_TOKEN,
  runWranglerStep,
  type WranglerFailure,
  withTries,
} from "./wrangler-step.ts";

export { SANDBOX_CONFIG_HOME };

/** The idempotency-key suffix of the one fresh-account deploy after an account nightshift does not hold. */
const REPROVISION = "reprovision";
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
  /**
   * The egress proxy: the only way wrangler in the Sandbox reaches the Cloudflare API. It lends
   * the temporary account's token to deploy steps and the organisation's to a promotion step
   * (never to the Sandbox itself).
   */
  grants?: EgressGrantConfig;
  /** Where the run's temporary accounts are held; deploys refuse to run without it. */
  accounts?: AccountVault;
  fetch?: typeof fetch;
  /**
   * The tries of a deploy or promotion (a transient fault — 5xx, 429, a dropped connection, a
   * try past its deadline — is tried again): the step's timeout split up, `deployRetryWithin`.
   */
  retry: DeployRetry;
  /** The temporary account's token as the orchestrator holds it (see deployed-version.ts). */
  accountToken?: (request: { runId: string; accountId: string }) => Promise<string | null>;
}

export function createWranglerDeployer(options: WranglerDeployerOptions): Deployer {
  const retry = options.retry;

  /**
   * A transient fault is tried again here, where it happened (`withTries`). Once a try has
   * provisioned (and held) an account, the next ones deploy into it, never a second one; a
   * try whose provisioning answer was lost provisions under the step's own key, so the next
   * gets the account that was made (`provisioningKey`, src/ports/egress-grants.ts).
   */
  async function deploy(request: DeployRequest): Promise<Result<DeployOutput, DeployError>> {
    // Before the sign-off, the grant and wrangler: a config a temporary account cannot deploy
    // costs neither an account nor a gate (once per step, not per try: it cannot change).
    const plan = await checkProject({
      sandbox: request.sandbox,
      config: request.config,
      fallback: options.wrangler,
      temporary: true,
      log: { ref: `${request.idempotencyKey}:log`, runId: request.runId, kind: "deploy-log" },
      putLog: options.putLog,
    });
    if (!plan.ok) return plan;
    let fresh = request.freshAccount;
    const accountKey = request.idempotencyKey;
    return withTries(retry, request.idempotencyKey, `nightshift-deploy: ${request.runId}`, (the) =>
      deployTry(
        { ...request, idempotencyKey: the.key, freshAccount: fresh },
        plan.value,
        the.timeoutMs,
        accountKey,
        () => {
          fresh = false;
        },
      ),
    );
  }

  async function deployTry(
    request: DeployRequest,
    /** Which wrangler runs, and the log's note saying why. */
    plan: DeployPlan,
    timeoutMs: number,
    /** The key of the one account this deploy may provision: the step's, whichever try this is. */
    accountKey: IdempotencyKey,
    /** Called when the try provisioned an account and it is held: later tries deploy into it. */
    onProvisioned: () => void,
  ): Promise<Result<DeployOutput, WranglerFailure>> {
    const started = Date.now();
    const signoff = await options.findSignoff({ apiBase: options.apiBase, runId: request.runId });
    if (!signoff) {
      return err({
        code: "tos_required",
        message: `no legal sign-off of the terms of service is on record for ${options.apiBase}: wrangler --temporary would accept them on the user's behalf`,
        logRef: null,
      });
    }
    const vault = options.accounts;
    if (!vault || !options.grants)
      return err({
        code: "deploy_failed",
        message:
          "deploying needs the egress proxy (EGRESS_PROXY_URL, EGRESS_PROXY_SECRET) and an account store: the temporary account's token is never given to the Sandbox",
        logRef: null,
      });
    const held = request.freshAccount ? null : await vault.held(request.runId);
    const grants = options.grants;
    let captured: HeldAccount | null = null;
    const argv = [
      ...plan.wrangler,
      "deploy",
      "--temporary",
      "--config",
      request.config,
      "--name",
      request.workerName,
    ];
    const run = await runWranglerStep({
      grants,
      grant: {
        upstream: options.apiBase,
        ...(held ? { token: held.apiToken } : {}),
        placeholder: PLACEHOLDER_TOKEN,
        capture: true,
        provisioningKey: accountKey,
        ttlMs: timeoutMs + 60_000,
      },
      grantRefused: "cannot open an egress grant for the Cloudflare API",
      sandbox: request.sandbox,
      argv,
      script: "nightshift-deploy",
      accountCache: ACCOUNT_CACHE,
      outputFile: OUTPUT_FILE,
      fresh: request.freshAccount,
      // The grant's URL is the only Cloudflare API the Sandbox is told of.
      env: wranglerEnv,
      timeoutMs,
      idempotencyKey: request.idempotencyKey,
      runId: request.runId,
      log: {
        kind: "deploy-log",
        notes: [
          `# sign-off ${signoff.id} by ${signoff.signedBy}${signoff.automatic ? " (automatic, local mode)" : ""}`,
          "# through an egress grant: the account's token and claim URL are held by nightshift, not the Sandbox",
          ...plan.notes,
        ],
        timing: true,
      },
      putLog: options.putLog,
      whenWranglerExits: async (grantId, grantUrl) => {
        // What wrangler provisioned is held before the grant goes: the Sandbox has placeholders only.
        captured = await takeCapture(grants, grantId, request.runId, vault);
        if (captured) onProvisioned();
        const secrets = [captured, held].flatMap((a) => (a ? [a.apiToken, a.claimUrl] : []));
        return (text) => redactAll(text, secrets, grantUrl);
      },
    });
    if (!run.ok) return run;
    const { trailer, output, logRef } = run.value;
    // A replayed step (same idempotency key) captured nothing this time: its first attempt held it.
    const account = captured ?? (await vault.held(request.runId));
    const used = trailer.account ? parseAccountCache(trailer.account) : null;
    if (
      used?.ok &&
      used.value.account.id !== account?.id &&
      !request.idempotencyKey.endsWith(`:${REPROVISION}`)
    ) {
      // wrangler used an account whose token nightshift does not hold: the step was cut off before
      // its capture was stored, or the Sandbox's cache was changed. Once, into a fresh account.
      return deployTry(
        { ...request, freshAccount: true, idempotencyKey: subKey(request.idempotencyKey, REPROVISION) },
        plan,
        // Within this try's deadline, not a second one of its own.
        Math.max(1, timeoutMs - (Date.now() - started)),
        subKey(accountKey, REPROVISION),
        onProvisioned,
      );
    }
    return readSuccess({ trailer, output, logRef, account });
  }

  async function promote(request: PromoteRequest): Promise<Result<PromoteOutcome, DeployError>> {
    if (request.mode === "deploy") {
      return promoteByDeploy(
        {
          apiBase: options.apiBase,
          wrangler: options.wrangler,
          putLog: options.putLog,
          retry,
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
