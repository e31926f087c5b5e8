/**
 * A wrangler config (wrangler.json, wrangler.jsonc or wrangler.toml) as
 * wrangler reads it, by its extension. Pure (smol-toml is plain JavaScript):
 * `nightshift validate` reads the file from disk, the deploy step from the
 * Sandbox, and both parse it here.
 */
import { parse as parseToml } from "smol-toml";
import { stripJsonComments } from "./jsonc.ts";

export type ParsedConfig =
  | { ok: true; value: unknown }
  | { ok: false; message: string; at?: { line: number; column: number } };

/** A wrangler config by its extension, a parse error with its line and column when the parser says. */
export function parseConfig(name: string, text: string): ParsedConfig {
  try {
    return {
      ok: true,
      value: name.endsWith(".toml") ? parseToml(text) : JSON.parse(stripJsonComments(text)),
    };
  } catch (error) {
    const e = error as Error & { line?: number; column?: number };
    const message = e.message.split("\n")[0] ?? "";
    if (typeof e.line === "number" && typeof e.column === "number")
      return { ok: false, message, at: { line: e.line, column: e.column } };
    const position = /at position (\d+)/.exec(message)?.[1];
    if (position === undefined) return { ok: false, message };
    const before = stripJsonComments(text).slice(0, Number(position)).split("\n");
    return { ok: false, message, at: { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 } };
  }
}
