/**
 * Pure and Worker-safe: which model APIs code in a Sandbox may reach, and how
 * the credential is added on the way out, so the key never enters the Sandbox.
 * One table serves both egress paths:
 * - local mode: the egress proxy (src/local/egress-proxy) serves each route
 *   under `/<route>/…` and forwards to the upstream with the header added;
 * - production: the Sandbox's outbound handlers (`outboundByHost` of
 *   @cloudflare/sandbox) intercept requests to the upstream host and call
 *   `withCredential` (see docs/agents.md).
 */

export interface EgressRoute {
  /** Path prefix on the local proxy: `http://proxy/<name>/v1/messages`. */
  name: string;
  /** Where requests really go. */
  upstream: string;
  /** The orchestrator secret that holds the key. */
  secret: string;
  /** How the key is sent. */
  header: "x-api-key" | "authorization";
}

export const EGRESS_ROUTES: readonly EgressRoute[] = [
  {
    name: "anthropic",
    upstream: "https://api.anthropic.com",
    secret: "ANTHROPIC_API_KEY",
    header: "x-api-key",
  },
  { name: "openai", upstream: "https://api.openai.com", secret: "OPENAI_API_KEY", header: "authorization" },
];

/** Headers a client in the Sandbox may have set to carry a placeholder key; always replaced. */
export const CREDENTIAL_HEADERS = ["authorization", "x-api-key", "proxy-authorization"] as const;

/** The placeholder CLIs get as their "key": they insist on one being set; the proxy replaces it. */
export const PLACEHOLDER_KEY = "nightshift-egress-proxy-adds-the-key";

/** Pure: the outgoing headers: the client's, minus any credential it sent, plus the real one. */
export function withCredential(
  headers: Iterable<[string, string]>,
  route: Pick<EgressRoute, "header">,
  key: string,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of headers) {
    if ((CREDENTIAL_HEADERS as readonly string[]).includes(name.toLowerCase())) continue;
    out.push([name, value]);
  }
  out.push(route.header === "authorization" ? ["authorization", `Bearer ${key}`] : ["x-api-key", key]);
  return out;
}

/** Pure: the route for a proxy path (`/anthropic/v1/messages` → anthropic, `/v1/messages`). */
export function routeForPath(
  path: string,
  routes: readonly EgressRoute[] = EGRESS_ROUTES,
): { route: EgressRoute; rest: string } | null {
  const match = /^\/([a-z0-9-]+)(\/.*)?$/.exec(path);
  if (!match) return null;
  const route = routes.find((r) => r.name === match[1]);
  return route ? { route, rest: match[2] ?? "/" } : null;
}
