/**
 * Running the unmodified wrangler CLI inside a Sandbox: the wrapper script
 * and the environment shared by the temporary deploy and the `deploy`
 * promotion. Worker-safe.
 */
import { stripAnsi, SECTION_ACCOUNT, SECTION_NDJSON, TRAILER_MARK } from "./wrangler-output.ts";

/** Where a Sandbox keeps wrangler's config and the run's temporary account (outside /workspace). */
export const SANDBOX_CONFIG_HOME = "/home/sandbox/.config";

/**
 * The wrapper run inside the Sandbox (POSIX sh: no extra Node start-up per
 * deploy): optionally drops the cached account, runs wrangler with its output
 * going straight to ours, then prints the trailer — exit code and wrangler's
 * own run time, the ND-JSON output file, and the account cache minus its
 * `apiToken` line (see `splitTrailer`).
 */
export const WRAPPER = `cache="$1"; out="$2"; fresh="$3"; shift 3
if [ "$fresh" = 1 ]; then rm -f "$cache"; fi
rm -f "$out"
started=$(date +%s%3N)
WRANGLER_OUTPUT_FILE_PATH="$out" "$@"
code=$?
ended=$(date +%s%3N)
printf '\\n%s{"exitCode":%d,"wranglerMs":%d}\\n' "${TRAILER_MARK}" "$code" "$((ended - started))"
if [ -f "$out" ]; then echo "${SECTION_NDJSON}"; cat "$out"; echo; fi
if [ -f "$cache" ]; then echo "${SECTION_ACCOUNT}"; grep -v '^[[:space:]]*apiToken[[:space:]]*=' "$cache"; fi
exit 0
`;

export function wranglerEnv(apiBase: string): Record<string, string> {
  return {
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    CLOUDFLARE_API_BASE_URL: apiBase,
    HOME: "/home/sandbox",
    XDG_CONFIG_HOME: SANDBOX_CONFIG_HOME,
  };
}

export function lastLine(text: string): string {
  return stripAnsi(text).trim().split("\n").at(-1) ?? "";
}
