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
import { subKey } from "../../ports/vocabulary.ts";
import type {
  DeployError,
  Deployer,
  DeployOutput,
  DeployRequest,
  HeldAccount,
  PromoteOutcome,
  PromoteRequest,
} from "../../ports/deployer.ts";

export type { HeldAccount };
import { err, ok, type Result } from "../../ports/result.ts";
import { WORKSPACE_DIR } from "../../ports/sandbox.ts";
import type { OrganisationAccount } from "../cloudflare/organisation.ts";
import { observeDeployment } from "./deployed-version.ts";
import { promoteByClaim } from "./promote-claim.ts";
import { PLACEHOLDER_TOKEN, promoteByDeploy } from "./promote-deploy.ts";
import { lastLine, SANDBOX_CONFIG_HOME, WRAPPER, wranglerEnv } from "./wrangler-run.ts";

export { SANDBOX_CONFIG_HOME };
import { type EgressGrantConfig, openGrant, readGrantCapture, revokeGrant } from "../egress/grants.ts";
import {
  classifyFailure,
  parseAccountCache,
  parseDeployRecord,
  parseDeployStdout,
  splitTrailer,
  stripAnsi,
} from "./wrangler-output.ts";

/** The idempotency-key suffix of the one fresh-account deploy after an account nightshift does not hold. */
const REPROVISION = "reprovision";
export const ACCOUNT_CACHE = `${SANDBOX_CONFIG_HOME}/.wrangler/wrangler-temporary-account.toml`;
const OUTPUT_FILE = "/tmp/nightshift-wrangler-output.ndjson";

/** Where the orchestrator keeps runs' temporary accounts (D1 in the Worker); never a step result. */
export interface AccountVault {
  /** The run's newest account, or null. */
  held(runId: string): Promise<HeldAccount | null>;
  hold(runId: string, account: HeldAccount): Promise<void>;
}

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
    const vault = options.accounts;
    if (!vault || !options.grants)
      return err({
        code: "deploy_failed",
        message:
          "deploying needs the egress proxy (EGRESS_PROXY_URL, EGRESS_PROXY_SECRET) and an account store: the temporary account's token is never given to the Sandbox",
        logRef: null,
      });
    const held = request.freshAccount ? null : await vault.held(request.runId);
    const grant = await openGrant(options.grants, {
      upstream: options.apiBase,
      ...(held ? { token: held.apiToken } : {}),
      placeholder: PLACEHOLDER_TOKEN,
      capture: true,
      ttlMs: timeoutMs + 60_000,
    });
    if (!grant.ok)
      return err({
        code: "deploy_failed",
        message: `cannot open an egress grant for the Cloudflare API: ${grant.error.message}`,
        logRef: null,
      });
    const argv = [
      ...options.wrangler,
      "deploy",
      "--temporary",
      "--config",
      request.config,
      "--name",
      request.workerName,
    ];
    let captured: HeldAccount | null = null;
    let result: Awaited<ReturnType<typeof request.sandbox.exec>>;
    try {
      result = await request.sandbox.exec(
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
          // The grant's URL is the only Cloudflare API the Sandbox is told of.
          env: wranglerEnv(grant.value.baseUrl),
          timeoutMs,
          idempotencyKey: subKey(request.idempotencyKey, "wrangler"),
        },
      );
    } finally {
      // What wrangler provisioned is held before the grant goes: the Sandbox has placeholders only.
      captured = await takeCapture(options.grants, grant.value.id, request.runId, vault);
    }
    const secrets = [captured, held].flatMap((a) => (a ? [a.apiToken, a.claimUrl] : []));
    const redact = (text: string) => redactAll(text, secrets, grant.value.baseUrl);
    const { output, trailer } = splitTrailer(result.stdout);
    const log = [
      `$ ${argv.join(" ")}`,
      `# sign-off ${signoff.id} by ${signoff.signedBy}${signoff.automatic ? " (automatic, local mode)" : ""}`,
      "# through an egress grant: the account's token and claim URL are held by nightshift, not the Sandbox",
      redact(stripAnsi(output).trimEnd()),
      redact(stripAnsi(result.stderr).trimEnd()),
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
        message: redact(
          `the deploy wrapper exited ${result.exitCode} without a result: ${lastLine(result.stderr)}`,
        ),
        logRef,
      });
    }
    if (trailer.exitCode !== 0) {
      const failure = classifyFailure(`${output}\n${result.stderr}`);
      return err({ ...failure, message: redact(failure.message), logRef });
    }
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
      return deploy({
        ...request,
        freshAccount: true,
        idempotencyKey: subKey(request.idempotencyKey, REPROVISION),
      });
    }
    return readSuccess({ request, trailer, output, logRef, account });
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

/**
 * Reads what the step's grant captured and holds it for the run; null when nothing was
 * provisioned through it. A proxy that cannot be reached throws (the step retries); the grant
 * is revoked only once its capture is safe (otherwise it expires by itself).
 */
async function takeCapture(
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
  await revokeGrant(grants, grantId).catch((error: unknown) =>
    console.log(`nightshift deploy: revoking egress grant failed: ${(error as Error).message}`),
  );
  return captured;
}

/** Every secret (and the grant's URL) out of a text bound for a log or a step result. */
function redactAll(text: string, secrets: readonly string[], grantUrl: string): string {
  let out = text.split(grantUrl).join("<egress grant>");
  for (const secret of secrets) if (secret) out = out.split(secret).join("[held by nightshift]");
  return out;
}

function readSuccess(input: {
  request: DeployRequest;
  trailer: { ndjson: string | null; account: string | null };
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
      id: account.id,
      claimUrl: account.claimUrl,
      expiresAt: account.expiresAt,
      claimExpiresAt: account.claimExpiresAt,
    },
    logRef,
  });
}
