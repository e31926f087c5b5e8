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

/** A zod schema accepting `1500` or `"1.5s"`, producing milliseconds. */
export const durationSchema = z.union([
  z.number().int().nonnegative(),
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `"${text}" is not a duration (use e.g. 90s, 15m, 2h, 3d)` });
      return z.NEVER;
    }
    return ms;
  }),
]);
