/**
 * Hostnames as DNS compares them: case-insensitive, a trailing dot ignored.
 * Record names follow Cloudflare's rule: `@` is the apex and a name that does
 * not end in the zone gets the zone appended, so a plan shows the name
 * Cloudflare would really create. Pure.
 */

export function normalizeHostname(name: string): string {
  return name.trim().toLowerCase().replace(/\.+$/, "");
}

export function isInZone(name: string, zone: string): boolean {
  const n = normalizeHostname(name);
  const z = normalizeHostname(zone);
  return n === z || n.endsWith(`.${z}`);
}

/** The absolute name Cloudflare gives a record called `name` in `zone`. */
export function recordName(name: string, zone: string): string {
  const n = normalizeHostname(name);
  const z = normalizeHostname(zone);
  if (n === "@" || n === "") return z;
  return isInZone(n, z) ? n : `${n}.${z}`;
}

/** A wildcard name has a `*` label (`*.example.com`). */
export function isWildcard(name: string): boolean {
  return normalizeHostname(name).split(".").includes("*");
}

export function isApex(name: string, zone: string): boolean {
  return normalizeHostname(name) === normalizeHostname(zone);
}

/** The Workers route that sends every path of `hostname` to a Worker. */
export function routePattern(hostname: string): string {
  return `${normalizeHostname(hostname)}/*`;
}

/** The hostname a route pattern matches (`*.a.example.com/x/*` → `*.a.example.com`). */
export function patternHostname(pattern: string): string {
  return normalizeHostname(pattern.replace(/^[a-z]+:\/\//i, "").split("/")[0] ?? "");
}
