/**
 * What a DNS plan may touch, checked before its gate opens. A blocking
 * finding stops the run: nobody is asked to approve a change to a hostname
 * nobody asked for. Pure.
 *
 * The names checked are the ones the job asks about (the Worker's hostname,
 * its extra records and deletes) and every name a change touches; the checks
 * depend on what is asked, not on what the zone holds, so the same job gets
 * the same verdict whatever the zone's state.
 */
import type { DesiredDns, DnsChange, PolicyFinding } from "../ports/dns.ts";
import { damerauLevenshtein } from "./distance.ts";
import { isApex, isWildcard, normalizeHostname } from "./names.ts";
import { resourceHostname } from "./resources.ts";

/** Second-level labels under a two-letter country code that act as a suffix (`example.co.uk`). */
const SECOND_LEVEL = new Set(["co", "com", "net", "org", "gov", "ac", "edu", "ne", "or"]);

/** The labels left once the suffix (the TLD, or e.g. `co.uk`) is removed. */
function withoutSuffix(name: string): string {
  const labels = name.split(".");
  const last = labels.at(-1) ?? "";
  const second = labels.at(-2) ?? "";
  const drop = labels.length >= 3 && last.length === 2 && SECOND_LEVEL.has(second) ? 2 : 1;
  return labels.slice(0, -drop).join(".");
}

/** The largest edit distance that still counts as a near miss (a typo, a swapped pair). */
export const NEAR_MISS_DISTANCE = 2;

/**
 * Why `candidate` looks like a slip for `target` (a different suffix, or a
 * few edits away), or null when they are equal or plainly different.
 */
export function nearMissReason(candidate: string, target: string): string | null {
  const a = normalizeHostname(candidate);
  const b = normalizeHostname(target);
  if (a === b) return null;
  const stemA = withoutSuffix(a);
  if (stemA !== "" && stemA === withoutSuffix(b)) return "the same name under a different suffix";
  const distance = damerauLevenshtein(a, b);
  if (distance <= NEAR_MISS_DISTANCE) return `${distance} edit${distance === 1 ? "" : "s"} apart`;
  return null;
}

/** The first of `targets` that `name` is a near miss of, with the reason. */
export function nearMissOf(name: string, targets: string[]): { target: string; reason: string } | null {
  for (const target of targets) {
    const reason = nearMissReason(name, target);
    if (reason) return { target: normalizeHostname(target), reason };
  }
  return null;
}

/** The names the job asks about and every name a change touches, in first-seen order. */
export function touchedNames(desired: DesiredDns, changes: DnsChange[]): string[] {
  const names = [
    desired.hostname,
    ...desired.records.map((r) => r.name),
    ...desired.deletes.map((d) => d.name),
    ...changes.flatMap((c) =>
      c.action === "noop" ? [] : [c.before, c.after].flatMap((r) => (r ? [resourceHostname(r)] : [])),
    ),
  ];
  return [...new Set(names.map(normalizeHostname))];
}

/**
 * The findings for a plan. `desired` should be normalised (`normalizeDesired`):
 * absolute, lower-case names.
 */
export function checkPolicy(desired: DesiredDns, changes: DnsChange[]): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const add = (code: PolicyFinding["code"], hostname: string, message: string) => {
    if (!findings.some((f) => f.code === code && f.hostname === hostname))
      findings.push({ code, hostname, message, blocking: true });
  };
  const requested = normalizeHostname(desired.requestedHostname);
  const hostname = normalizeHostname(desired.hostname);
  const allowed = desired.allow.hostnames.map(normalizeHostname);
  const allowedSet = new Set(allowed);

  if (hostname !== requested) {
    add(
      "hostname_mismatch",
      hostname,
      `the plan would serve ${hostname} but the job asked for ${requested}; they must be the same hostname`,
    );
    const slip = nearMissReason(hostname, requested);
    if (slip)
      add("near_miss", hostname, `${hostname} is a near miss of the requested ${requested} (${slip})`);
  }

  for (const name of touchedNames(desired, changes)) {
    if (!allowedSet.has(name)) {
      const slip = nearMissOf(name, [requested, ...allowed]);
      if (slip) {
        add(
          "near_miss",
          name,
          `${name} is a near miss of ${slip.target === requested ? "the requested" : "the allowed"} ${slip.target} (${slip.reason}) and is not itself allowed`,
        );
      } else {
        add(
          "not_allowlisted",
          name,
          `${name} is not among the hostnames this job may touch (${allowed.join(", ") || "none"})`,
        );
      }
    }
    if (isWildcard(name) && !desired.allow.wildcard)
      add("wildcard_not_allowed", name, `${name} is a wildcard name and the job does not set allowWildcard`);
    if (isApex(name, desired.zone) && !desired.allow.apex)
      add(
        "apex_not_allowed",
        name,
        `${name} is the apex of zone ${desired.zone} and the job does not set allowApex`,
      );
  }

  // The planner deletes only what the job's deletes name, so checking those covers every delete.
  if (!desired.allow.delete) {
    for (const d of desired.deletes) {
      const name = normalizeHostname(d.name);
      add(
        "deletion_not_allowed",
        name,
        `the job deletes ${d.type.toUpperCase()} ${name} and does not set allowDelete`,
      );
    }
  }
  return findings;
}
