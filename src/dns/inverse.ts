/**
 * The plan that undoes an apply: each applied change turned around, in the
 * reverse order. A created resource is deleted by the id it got; an updated
 * one is put back as it was; a deleted one is created again with what it held
 * (Cloudflare gives it a new id). Pure.
 */
import type { DnsApplied, DnsChange, DnsPlan, DnsResource } from "../ports/dns.ts";

/** One change as it was applied: `result` is the resource as the API left it (null once deleted). */
export interface AppliedChange {
  change: DnsChange;
  result: DnsResource | null;
}

function invertOne({ change, result }: AppliedChange): DnsChange | null {
  switch (change.action) {
    case "noop":
      return null;
    case "create": {
      const made = result ?? change.after;
      return made ? { action: "delete", key: change.key, before: made, after: null } : null;
    }
    case "update": {
      const now = result ?? change.after;
      return now && change.before
        ? { action: "update", key: change.key, before: now, after: change.before }
        : null;
    }
    case "delete":
      return change.before
        ? { action: "create", key: change.key, before: null, after: { ...change.before, id: null } }
        : null;
  }
}

/** The changes that undo `applied`, in the order to apply them. */
export function invertChanges(applied: AppliedChange[]): DnsChange[] {
  return applied
    .flatMap((a) => {
      const inverse = invertOne(a);
      return inverse ? [inverse] : [];
    })
    .reverse();
}

/**
 * A plan that applies `inverse` (from `DnsApplied.inverse`) to the zone of
 * `plan`. It restores what a human approved before, so it carries no
 * findings; `readAt` is when the rollback was decided.
 */
export function inversePlan(plan: DnsPlan, applied: Pick<DnsApplied, "inverse">, readAt: number): DnsPlan {
  return { ...plan, changes: applied.inverse, findings: [], blocked: false, readAt };
}
