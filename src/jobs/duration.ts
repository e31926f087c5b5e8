/**
 * Durations in job files: a number of milliseconds or a string such as
 * "90s", "15m", "2h", "3d". Pure.
 */
import { z } from "zod";

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses "15m" to 900000; returns undefined for anything that is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}

/**
 * The longest wait a job may name: Cloudflare Workflows sleep and wait for an event for at most
 * 365 days, so a longer gate timeout or deadline would fail the run when it gets there, not here.
 */
export const MAX_DURATION_MS = 365 * UNITS.d!;
const TOO_LONG = "is longer than 365d, the longest wait a Workflow can hold";

/**
 * A zod schema accepting `1500` or `"1.5s"`, producing milliseconds. One schema, not a union of
 * a number and a string one, so a bad value gets its own message instead of "Invalid input".
 */
export const durationSchema = z
  .custom<number | string>(
    (value) => typeof value === "number" || typeof value === "string",
    "a duration: a number of milliseconds or text such as 90s, 15m, 2h, 3d",
  )
  .transform((value, ctx) => {
    const ms = typeof value === "number" ? value : parseDuration(value);
    const shown = typeof value === "number" ? `${value} ms` : `"${value}"`;
    const fail = (message: string) => {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    };
    if (ms === undefined) return fail(`${shown} is not a duration (use e.g. 90s, 15m, 2h, 3d)`);
    if (!Number.isSafeInteger(ms) || ms < 0)
      return fail(`${shown} is not a whole, non-negative number of milliseconds`);
    if (ms > MAX_DURATION_MS) return fail(`${shown} ${TOO_LONG}`);
    return ms;
  });
