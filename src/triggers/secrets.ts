/**
 * Where a webhook source's secrets come from: the Worker secret (or variable)
 * `WEBHOOK_SECRET_<SOURCE>`, the source name upper-cased with `-` as `_`
 * (`github` → `WEBHOOK_SECRET_GITHUB`, `acme-ci` → `WEBHOOK_SECRET_ACME_CI`).
 * Several secrets, comma-separated, are all accepted: add the new one, switch
 * the sender over, then remove the old one. Pure.
 */

export function secretEnvName(source: string): string {
  return `WEBHOOK_SECRET_${source.toUpperCase().replace(/-/g, "_")}`;
}

/** The secrets configured for a source; empty when none is (the source is then unknown). */
export function secretsFor(env: object, source: string): string[] {
  const value = (env as Record<string, unknown>)[secretEnvName(source)];
  if (typeof value !== "string") return [];
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
