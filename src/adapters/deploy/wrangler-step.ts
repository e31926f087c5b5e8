/**
 * One wrangler command in the run's Sandbox, as the temporary deploy and the
 * `deploy` promotion both run it: an egress grant lends the step its token
 * (wrangler sees a placeholder), the wrapper runs wrangler under the step's
 * idempotency key (a retried step gets the first answer back instead of
 * deploying twice), wrangler's output is stored as the step's log, and a
 * missing trailer or a non-zero exit comes back as a `DeployError`.
 * Worker-safe.
 */
import type { DeployError } from "../../ports/deployer.ts";
import type { GrantRequest } from "../../ports/egress-grants.ts";
import { err, ok, type Result } from "../../ports/result.ts";
import { isSandboxError, type Sandbox, WORKSPACE_DIR } from "../../ports/sandbox.ts";
import { type IdempotencyKey, subKey } from "../../ports/vocabulary.ts";
import { type EgressGrantConfig, openGrant, revokeGrant } from "../egress/grants.ts";
import {
  classifyFailure,
  isTransientFailure,
  parseDeployRecord,
  parseDeployStdout,
  splitTrailer,
  stripAnsi,
  type Trailer,
} from "./wrangler-output.ts";
import { lastLine, WRAPPER } from "./wrangler-run.ts";

/** What wrangler sees as its token: a placeholder the egress proxy replaces. */
export const PLACEHOLDER_TOKEN = "nightshift-egress-grant";

export interface WranglerStep {
  grants: EgressGrantConfig;
  grant: GrantRequest;
  /** Says why the step failed when the proxy gives no grant (its own reason follows). */
  grantRefused: string;
  sandbox: Sandbox;
  argv: readonly string[];
  /** The wrapper's `$0`, `nightshift-<step>`: names the process in the Sandbox and the step in console lines. */
  script: string;
  /** The temporary-account cache the wrapper reports (and drops first when `fresh`). */
  accountCache: string;
  outputFile: string;
  fresh: boolean;
  /** The Sandbox environment, given the grant's URL: the only Cloudflare API wrangler is told of. */
  env(grantUrl: string): Record<string, string>;
  /** This try's deadline: past it the Sandbox kills wrangler's process tree and the try is a transient fault. */
  timeoutMs: number;
  idempotencyKey: IdempotencyKey;
  runId: string;
  log: {
    kind: string;
    /** Comment lines after the command line. */
    notes: readonly string[];
    /** Whether the exit line tells how long wrangler itself ran. */
    timing: boolean;
  };
  putLog(log: { ref: string; runId: string; kind: string; body: string }): Promise<string>;
  /**
   * Runs as soon as wrangler's exec ends (also when it throws), with the grant's id, and returns
   * how to redact texts bound for the log or a result. The temporary deploy holds what the grant
   * captured and revokes the grant here, before anything else; without it, the grant is
   * revoked once the step's log is stored and its outcome known.
   */
  whenWranglerExits?(grantId: string, grantUrl: string): Promise<(text: string) => string>;
}

/** wrangler exited 0 and the wrapper printed its trailer. */
export interface WranglerSuccess {
  output: string;
  trailer: Trailer;
  logRef: string;
  redact(text: string): string;
}

/** A failed wrangler step; `transient` when trying again may succeed (see `isTransientFailure`). */
export type WranglerFailure = DeployError & { transient?: boolean };

export async function runWranglerStep(step: WranglerStep): Promise<Result<WranglerSuccess, WranglerFailure>> {
  // Keyed by the step: run again after a crash, it gets the grant (and capture) of the wrangler
  // its first run started, which the Sandbox's idempotent exec is still waiting on.
  const grant = await openGrant(step.grants, { ...step.grant, key: step.idempotencyKey });
  if (!grant.ok)
    return err({
      code: "deploy_failed",
      message: `${step.grantRefused}: ${grant.error.message}`,
      logRef: null,
    });
  const { id: grantId, baseUrl } = grant.value;
  try {
    let redact = (text: string) => text;
    let result: Awaited<ReturnType<Sandbox["exec"]>> | null = null;
    try {
      result = await step.sandbox.exec(
        [
          "sh",
          "-c",
          WRAPPER,
          step.script,
          step.accountCache,
          step.outputFile,
          step.fresh ? "1" : "0",
          ...step.argv,
        ],
        {
          cwd: WORKSPACE_DIR,
          env: step.env(baseUrl),
          timeoutMs: step.timeoutMs,
          idempotencyKey: subKey(step.idempotencyKey, "wrangler"),
        },
      );
    } catch (error) {
      // A hung dependency (an API that never answers) is cut off here, at the try's own deadline,
      // not by wrangler's five-minute fetch timeout: the Sandbox killed the tree, a next try may work.
      if (!isSandboxError(error, "timeout")) throw error;
    } finally {
      if (step.whenWranglerExits) redact = await step.whenWranglerExits(grantId, baseUrl);
    }
    if (!result) return err(await cutOff(step));
    const { output, trailer } = splitTrailer(result.stdout);
    const timing = step.log.timing && trailer ? ` after ${trailer.wranglerMs} ms in wrangler` : "";
    const logRef = await step.putLog({
      ref: `${step.idempotencyKey}:log`,
      runId: step.runId,
      kind: step.log.kind,
      body: [
        `$ ${step.argv.join(" ")}`,
        ...step.log.notes,
        redact(stripAnsi(output).trimEnd()),
        redact(stripAnsi(result.stderr).trimEnd()),
        `# exit ${trailer?.exitCode ?? result.exitCode}${timing}`,
      ].join("\n"),
    });
    if (!trailer)
      return err({
        code: "deploy_failed",
        message: redact(
          `the deploy wrapper exited ${result.exitCode} without a result: ${lastLine(result.stderr)}`,
        ),
        logRef,
      });
    if (trailer.exitCode !== 0) {
      const text = `${output}\n${result.stderr}`;
      const failure = classifyFailure(text);
      return err({
        ...failure,
        message: redact(failure.message),
        logRef,
        transient: isTransientFailure(text),
      });
    }
    return ok({ output, trailer, logRef, redact });
  } finally {
    // The grant also expires by itself; a proxy that cannot be reached now must not hide the deploy's result.
    if (!step.whenWranglerExits) await revokeQuietly(step.grants, grantId, step.script);
  }
}

/** The failure of a try that ran past its deadline, its log saying so (wrangler's output died with it). */
async function cutOff(step: WranglerStep): Promise<WranglerFailure> {
  const message = `wrangler did not finish within ${step.timeoutMs} ms (the try's deadline): its process tree was killed`;
  const logRef = await step.putLog({
    ref: `${step.idempotencyKey}:log`,
    runId: step.runId,
    kind: step.log.kind,
    body: [`$ ${step.argv.join(" ")}`, ...step.log.notes, `# ${message}`].join("\n"),
  });
  return { code: "deploy_failed", message, logRef, transient: true };
}

/** Revokes a grant, logging (not throwing) when the proxy cannot be reached: the grant expires by itself. */
export async function revokeQuietly(
  grants: EgressGrantConfig,
  grantId: string,
  script: string,
): Promise<void> {
  const who = script.replace(/^nightshift-/, "nightshift ");
  await revokeGrant(grants, grantId).catch((error: unknown) =>
    console.log(`${who}: revoking egress grant failed: ${(error as Error).message}`),
  );
}

/** The workers.dev URL and version wrangler deployed: its ND-JSON record, else its stdout. */
export function deployedUrl(run: { trailer: Trailer; output: string }): {
  url: string | null;
  versionId: string | null;
} {
  const record = run.trailer.ndjson ? parseDeployRecord(run.trailer.ndjson) : null;
  const fallback = parseDeployStdout(run.output);
  return { url: record?.url ?? fallback.url, versionId: record?.versionId ?? fallback.versionId };
}

export interface DeployRetry {
  /** Waits before the 2nd, 3rd… try; their count bounds the tries. */
  backoffMs: readonly number[];
  /** Every try ends within this long since the first, waits included: the whole fits in the step's timeout. */
  budgetMs: number;
  /** Each try's own deadline (wrangler's process tree is killed past it); a try starts only when a whole one fits. */
  tryMs: number;
}

/** What a wrangler step spends besides wrangler: the sign-off read, the grant, the capture, the log. */
const AROUND_WRANGLER_MS = 60_000;
/** How long one wrangler run may take before it counts as hung: a deploy takes seconds, under load a minute or two. */
const WRANGLER_TRY_MS = 3 * 60_000;

/**
 * The tries of a wrangler step whose own timeout is `stepTimeoutMs` (src/run/step-policy.ts):
 * up to five, 2, 10, 30 and 60 s apart (an API or emulator away for about a minute and a half
 * is ridden out), each cut off after three minutes, and all of it a minute inside the step's
 * timeout, so a hung dependency costs one try and never the step's attempt.
 */
export function deployRetryWithin(stepTimeoutMs: number): DeployRetry {
  const budgetMs = stepTimeoutMs - AROUND_WRANGLER_MS;
  if (budgetMs <= 0) throw new Error(`a wrangler step needs more than ${AROUND_WRANGLER_MS} ms`);
  return { backoffMs: [2_000, 10_000, 30_000, 60_000], budgetMs, tryMs: Math.min(WRANGLER_TRY_MS, budgetMs) };
}

/**
 * Pure: the wait before the try after try `n` (from 1) failed transiently `elapsedMs` after the
 * first began; null when the tries are used up or a whole try would no longer fit in the budget.
 */
export function waitBeforeNextTry(retry: DeployRetry, n: number, elapsedMs: number): number | null {
  const wait = retry.backoffMs[n - 1];
  if (wait === undefined || elapsedMs + wait + retry.tryMs > retry.budgetMs) return null;
  return wait;
}

/** One try: its idempotency key and its deadline. */
export interface Try {
  key: IdempotencyKey;
  timeoutMs: number;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the tries run out; a transient failure
 * (`transient`, a try cut off at its deadline included) is tried again after a wait. Each try
 * gets an idempotency key of its own (`<key>:try-2`…): the step's own retry would only replay
 * the wrapper's first answer.
 */
export async function withTries<T>(
  retry: DeployRetry,
  key: IdempotencyKey,
  who: string,
  attempt: (the: Try) => Promise<Result<T, WranglerFailure>>,
): Promise<Result<T, DeployError>> {
  const started = Date.now();
  for (let n = 1; ; n++) {
    const result = await attempt({ key: n === 1 ? key : subKey(key, `try-${n}`), timeoutMs: retry.tryMs });
    if (result.ok) return result;
    const { transient, ...error } = result.error;
    const wait = transient ? waitBeforeNextTry(retry, n, Date.now() - started) : null;
    if (wait === null)
      return err(n > 1 ? { ...error, message: `${error.message} (tried ${n} times)` } : error);
    console.log(`${who}: transient fault, trying again in ${wait} ms`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
