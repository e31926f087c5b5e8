/**
 * Pure: reading what `wrangler deploy --temporary` leaves behind — its
 * stdout/stderr, its ND-JSON output file and its temporary-account cache
 * (TOML) — into typed values, and classifying a failed deploy into the
 * Deployer port's error codes. No I/O here; `wrangler-temporary.ts` runs
 * wrangler and hands the text over.
 *
 * Shapes: shared/docs/cloudflare-api.md §1 (cache file), §2e (output lines,
 * which go to stderr for the account and stdout for the deploy), §4.
 */
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import type { DeployErrorCode } from "../../ports/vocabulary.ts";

/** Marks the start of the wrapper's JSON trailer on stdout (after wrangler's own output). */
export const TRAILER_MARK = "::nightshift-deploy-result::";
/** Section headers after the trailer's first line: wrangler's ND-JSON file, then the account cache. */
export const SECTION_NDJSON = "::nightshift-ndjson::";
export const SECTION_ACCOUNT = "::nightshift-account::";

const isoDate = z.string().transform((s, ctx) => {
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: `not a date: ${s}` });
    return z.NEVER;
  }
  return ms;
});

/**
 * wrangler's `wrangler-temporary-account.toml`. The wrapper drops the
 * `apiToken` line before the text leaves the Sandbox; the schema does not
 * read it either, so a token can never reach a step result or a log.
 */
export const accountCacheSchema = z.object({
  account: z.object({ id: z.string().min(1), name: z.string(), expiresAt: isoDate }),
  claim: z.object({ url: z.url(), expiresAt: isoDate }),
});
export type AccountCache = z.output<typeof accountCacheSchema>;

/** What the in-Sandbox wrapper prints after wrangler exits. */
export const trailerSchema = z.object({
  exitCode: z.number().int(),
  /** How long wrangler itself ran, measured inside the Sandbox. */
  wranglerMs: z.number().default(0),
  /** wrangler's `WRANGLER_OUTPUT_FILE_PATH` ND-JSON, if it wrote one. */
  ndjson: z.string().nullable(),
  /** The temporary-account cache without its token, if there is one. */
  account: z.string().nullable(),
});
export type Trailer = z.output<typeof trailerSchema>;

const deployLineSchema = z.object({
  type: z.literal("deploy"),
  worker_name: z.string(),
  version_id: z.string().nullable().optional(),
  targets: z.array(z.string()).optional(),
});

export interface DeployedTarget {
  workerName: string;
  url: string | null;
  versionId: string | null;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are control characters.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/**
 * Splits the wrapper's stdout into wrangler's own output and the trailer:
 * `MARK{"exitCode":…,"wranglerMs":…}`, then optional sections (ND-JSON, account
 * cache) each under its header line. Null trailer when it is missing or bad.
 */
export function splitTrailer(stdout: string): { output: string; trailer: Trailer | null } {
  const at = stdout.lastIndexOf(TRAILER_MARK);
  if (at === -1) return { output: stdout, trailer: null };
  const output = stdout.slice(0, at);
  const rest = stdout.slice(at + TRAILER_MARK.length);
  const newline = rest.indexOf("\n");
  const head = newline === -1 ? rest : rest.slice(0, newline);
  const body = newline === -1 ? "" : rest.slice(newline + 1);
  let value: unknown;
  try {
    value = JSON.parse(head);
  } catch {
    return { output, trailer: null };
  }
  const section = (name: string, next: string | null): string | null => {
    const start = body.indexOf(`${name}\n`);
    if (start === -1) return null;
    const from = start + name.length + 1;
    const end = next ? body.indexOf(`${next}\n`, from) : -1;
    return body.slice(from, end === -1 ? undefined : end);
  };
  const parsed = trailerSchema.safeParse({
    ...(value as object),
    ndjson: section(SECTION_NDJSON, SECTION_ACCOUNT),
    account: section(SECTION_ACCOUNT, null),
  });
  return { output, trailer: parsed.success ? parsed.data : null };
}

/** Parses the account cache; an error message (with the zod path) when it does not fit. */
export function parseAccountCache(
  text: string,
): { ok: true; value: AccountCache } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (error) {
    return { ok: false, message: `temporary-account cache is not TOML: ${(error as Error).message}` };
  }
  const parsed = accountCacheSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    message: `temporary-account cache: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
  };
}

/** The last `deploy` record of wrangler's ND-JSON output, with its workers.dev target. */
export function parseDeployRecord(ndjson: string): DeployedTarget | null {
  let found: DeployedTarget | null = null;
  for (const line of ndjson.split("\n")) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = deployLineSchema.safeParse(value);
    if (!parsed.success) continue;
    const targets = parsed.data.targets ?? [];
    found = {
      workerName: parsed.data.worker_name,
      url: targets.find((t) => /\.workers\.dev\/?$/.test(t)) ?? targets[0] ?? null,
      versionId: parsed.data.version_id ?? null,
    };
  }
  return found;
}

/** Fallback when there is no ND-JSON: the indented target line and "Current Version ID" of stdout. */
export function parseDeployStdout(stdout: string): { url: string | null; versionId: string | null } {
  const text = stripAnsi(stdout);
  const url = /^\s+(https:\/\/[^\s]+\.workers\.dev)\s*$/m.exec(text)?.[1] ?? null;
  const versionId = /^Current Version ID:\s*(\S+)/m.exec(text)?.[1] ?? null;
  return { url, versionId };
}

/** "created" when wrangler provisioned a new temporary account this time, "reused" for the cached one. */
export function accountProvenance(stderr: string): "created" | "reused" | null {
  const m = /^\s*Account: .* \((created|reused)\)\s*$/m.exec(stripAnsi(stderr));
  return (m?.[1] as "created" | "reused" | undefined) ?? null;
}

export interface DeployFailure {
  code: Exclude<DeployErrorCode, "tos_required">;
  message: string;
}

/**
 * Why wrangler failed, as a Deployer error code. Order matters: an expired
 * account also fails later calls, and a build error never reaches the API.
 *
 * - `build_error`: esbuild refused the code ("Build failed with N error(s)"),
 *   or wrangler could not read its config — both are the agent's to fix.
 * - `account_expired`: the cached temporary account's token was refused
 *   (code 10000, "Authentication error"): the account is gone.
 * - `rate_limited`: provisioning or the API answered 429.
 * - `upload_rejected`: the API refused the upload (script startup errors,
 *   unsupported bindings: code 10021 and the like).
 * - `deploy_failed`: anything else.
 */
export function classifyFailure(output: string): DeployFailure {
  const text = stripAnsi(output);
  const errors = errorHeadlines(text);
  const first = errors[0] ?? lastLines(text, 3);
  if (/Build failed with \d+ error/.test(text)) {
    return { code: "build_error", message: buildMessage(text) };
  }
  if (/Authentication error \[code: 10000\]/.test(text) || /\[code: 9109\]/.test(text)) {
    return {
      code: "account_expired",
      message: "the temporary account's token was refused: the account has expired",
    };
  }
  if (/\b429\b|Too Many Requests|rate limit/i.test(text)) {
    return { code: "rate_limited", message: first };
  }
  if (/A request to the Cloudflare API \([^)]*\/workers\/scripts\/[^)]*\) failed/.test(text)) {
    return { code: "upload_rejected", message: apiMessage(text) ?? first };
  }
  if (
    /Could not (read|parse|find) .*(wrangler|config)|Missing entry-point|The entry-point file .* was not found/i.test(
      text,
    )
  ) {
    return { code: "build_error", message: first };
  }
  return { code: "deploy_failed", message: first };
}

/**
 * Pure: whether a failed wrangler run met a fault worth trying again, not a refusal: the API
 * or provisioning answered 5xx (wrangler prints the status for provisioning, Cloudflare's
 * generic 10002/10013 codes for API calls), 429, or the connection failed (undici's
 * `fetch failed`, resets, timeouts). Build errors and 4xx refusals are values, never retried.
 */
export function isTransientFailure(output: string): boolean {
  const text = stripAnsi(output);
  if (/Build failed with \d+ error/.test(text)) return false;
  return (
    /Failed to [^\n]*\((5\d\d|429)\b/.test(text) ||
    /\[code: 100(02|13)\]/.test(text) ||
    /\b(Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout|Too Many Requests)\b/.test(
      text,
    ) ||
    /\bfetch failed\b|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|socket hang up|other side closed|UND_ERR_/.test(
      text,
    )
  );
}

/** The `✘ [ERROR] …` headlines wrangler printed, in order. */
function errorHeadlines(text: string): string[] {
  return [...text.matchAll(/✘ \[ERROR\] (.+)$/gm)].map((m) => m[1]!.trim());
}

/** esbuild's errors: the headline plus each nested error with its location. */
function buildMessage(text: string): string {
  const nested = [...text.matchAll(/^\s+✘ \[ERROR\] (.+)\n(?:\s*\n)?\s+(\S+:\d+:\d+):/gm)].map(
    (m) => `${m[2]}: ${m[1]!.trim()}`,
  );
  const headline = /Build failed with \d+ errors?/.exec(text)?.[0] ?? "Build failed";
  return nested.length ? `${headline}: ${nested.join("; ")}` : headline;
}

/** The API's own explanation under "A request to the Cloudflare API (…) failed." */
function apiMessage(text: string): string | null {
  const m = /A request to the Cloudflare API \(([^)]*)\) failed\.\s*\n\s*\n?\s*(.+?)(?:\n\s*\n|$)/s.exec(
    text,
  );
  if (!m) return null;
  const detail = m[2]!.replace(/\s+/g, " ").trim();
  return `${m[1]} was refused: ${detail}`.slice(0, 1_000);
}

function lastLines(text: string, n: number): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("🪵"));
  return lines.slice(-n).join(" ") || "wrangler failed with no output";
}
