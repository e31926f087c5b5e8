/**
 * What every API command shares: `--json`, `--url`, `--token`, and exit codes
 * scripts can trust. Human output goes to stdout, problems to stderr as one
 * line; under `--json` both are JSON on stdout (`{ "error": { code, message } }`).
 */
import { ApiFailure, type Client, connect } from "./client.ts";
import type { Invocation, Values } from "./command.ts";
import { UserError } from "./errors.ts";

export type { Values };

/** A string flag's value, if given. */
export function text(value: Values[string]): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Exit codes (documented in docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** The command worked but the outcome is a failure (e.g. a followed run did not succeed). */
  failed: 1,
  /** Bad arguments, or a request the API refused as invalid (400). */
  usage: 2,
  /** Not signed in, or not allowed (401, 403). */
  denied: 3,
  /** No such run, gate, job or token (404). */
  notFound: 4,
  /** Conflict: already decided, changed since shown, already final (409, 410). */
  conflict: 5,
  /** nightshift unreachable or failing (network, 5xx). */
  unavailable: 6,
} as const;

export function exitFor(failure: ApiFailure): number {
  if (failure.status === 0 || failure.status >= 500) return EXIT.unavailable;
  if (failure.status === 401 || failure.status === 403) return EXIT.denied;
  if (failure.status === 404) return EXIT.notFound;
  if (failure.status === 409 || failure.status === 410) return EXIT.conflict;
  return EXIT.usage;
}

/** A problem as the CLI prints it: one line on stderr, or `{ "error": … }` on stdout under `--json`. */
export function printError(
  json: boolean,
  error: { code: string; message: string; status?: number | undefined },
): void {
  const { code, message, status } = error;
  if (json) console.log(JSON.stringify({ error: { code, message, ...(status ? { status } : {}) } }));
  else console.error(`nightshift: ${message}`);
}

export interface Io {
  client: Client;
  json: boolean;
  /** Human line (suppressed under --json). */
  say(line: string): void;
  /** The result as JSON (only under --json). */
  emit(value: unknown): void;
}

/**
 * Connects (`--url`, `--token`, see client.ts), runs `body`, and turns failures into exit codes.
 * The flags were parsed and checked against the verb's declaration before the command loaded.
 *
 * @example
 * run: (input) => apiCommand(input, async (io, values, positionals) => EXIT.ok)
 */
export async function apiCommand(
  input: Invocation,
  body: (io: Io, values: Values, positionals: string[]) => Promise<number>,
): Promise<number> {
  const { values, positionals } = input;
  const json = values.json === true;
  const client = await connect({ url: text(values.url), token: text(values.token) });
  const io: Io = {
    client,
    json,
    say: (line) => {
      if (!json) console.log(line);
    },
    emit: (value) => {
      if (json) console.log(JSON.stringify(value));
    },
  };
  try {
    return await body(io, values, positionals);
  } catch (error) {
    if (error instanceof ApiFailure) {
      printError(json, { code: error.code, message: error.message, status: error.status });
      return exitFor(error);
    }
    if (error instanceof UserError) {
      printError(json, { code: "usage", message: error.message });
      return EXIT.usage;
    }
    throw error;
  }
}

/** A positional argument or a usage error naming it. */
export function positional(positionals: string[], index: number, name: string, usage: string): string {
  const value = positionals[index];
  if (!value) throw new UserError(`missing <${name}>; usage: ${usage}`);
  return value;
}

export function ago(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86_400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

export function left(deadline: number, now = Date.now()): string {
  const s = Math.floor((deadline - now) / 1000);
  if (s <= 0) return "expired";
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m left` : `${m}m${String(s % 60).padStart(2, "0")}s left`;
}

/** Columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
