/**
 * Five-field cron expressions (UTC), as Cloudflare cron triggers accept them:
 * minute hour day-of-month month day-of-week, with `*`, lists, ranges and steps.
 * Pure: parsing and matching only; the scheduler lives in the triggers code.
 */

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

export type CronFields = readonly [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];

/** Returns the parsed fields or a message saying which field is wrong. */
export function parseCron(
  expression: string,
): { ok: true; fields: CronFields } | { ok: false; error: string } {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) return { ok: false, error: `expected 5 fields, got ${parts.length}` };
  const sets: Set<number>[] = [];
  for (const [i, part] of parts.entries()) {
    const field = FIELDS[i]!;
    const set = parseField(part, field.min, field.max);
    if (!set)
      return { ok: false, error: `bad ${field.name} field "${part}" (allowed ${field.min}-${field.max})` };
    if (field.name === "day of week" && set.has(7)) set.add(0);
    sets.push(set);
  }
  return { ok: true, fields: sets as unknown as CronFields };
}

function parseField(part: string, min: number, max: number): Set<number> | undefined {
  const out = new Set<number>();
  for (const item of part.split(",")) {
    const [range, stepText] = item.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || !range) return undefined;
    let lo: number;
    let hi: number;
    if (range === "*") {
      lo = min;
      hi = max;
    } else {
      const [a, b] = range.split("-");
      lo = Number(a);
      hi = b === undefined ? (stepText === undefined ? lo : max) : Number(b);
    }
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < min || hi > max || lo > hi) return undefined;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** True when the UTC minute of `at` matches the expression (standard day-of-month/day-of-week OR rule). */
export function cronMatches(fields: CronFields, at: Date): boolean {
  const [minute, hour, dom, month, dow] = fields;
  if (!minute.has(at.getUTCMinutes()) || !hour.has(at.getUTCHours()) || !month.has(at.getUTCMonth() + 1)) {
    return false;
  }
  const domAll = dom.size === 31;
  const dowAll = dow.size >= 7;
  const domHit = dom.has(at.getUTCDate());
  const dowHit = dow.has(at.getUTCDay());
  if (domAll || dowAll) return domHit && dowHit;
  return domHit || dowHit;
}
