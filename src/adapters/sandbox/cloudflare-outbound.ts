/**
 * Production egress: the Sandbox container's outgoing requests are intercepted
 * by `@cloudflare/containers` (per host, `outboundByHost` / `outboundHandlers`
 * on the Sandbox class; wired in cloudflare-binding.ts) and pass through the
 * handlers here, which run in the Worker and add the credential the container
 * never holds. Pure and Worker-safe (no SDK import), so the handlers are
 * tested directly and through the SDK's own dispatch.
 *
 * - Model APIs (the routes of src/ports/egress-routes.ts): always
 *   intercepted; the client's credential (a placeholder) is replaced by the
 *   orchestrator's key for that route.
 * - The Cloudflare API: only while a grant is open for that one Sandbox
 *   (`openCloudflareApiGrant`: a runtime `setOutboundByHost` naming the grant
 *   handler, with an expiry and a base path as its only parameters, which the
 *   SDK persists; the token itself is read from the Worker's env per request).
 */
import { EGRESS_ROUTES, type EgressRoute, withCredential } from "../../ports/egress-routes.ts";

/** The handler shape of `@cloudflare/containers` (`OutboundHandler`). */
export type OutboundHandler = (
  request: Request,
  env: unknown,
  ctx: { containerId: string; className: string; params?: unknown },
) => Promise<Response>;

/** How a handler sends the rewritten request on (default: the Worker's fetch). */
export type Send = (request: Request) => Promise<Response>;
const viaFetch: Send = (request) => fetch(request);

export const CLOUDFLARE_API_HOST = "api.cloudflare.com";
/** The name the grant handler is registered under in `outboundHandlers`. */
export const CLOUDFLARE_API_GRANT = "cloudflareApiGrant";
/** Grants are meant for one step, as on the local proxy (src/ports/egress-grants.ts). */
export const MAX_SANDBOX_GRANT_MS = 60 * 60_000;

export interface CloudflareApiGrantParams {
  /** Epoch ms; after it the handler answers 403. */
  expiresAt: number;
  /** Only paths under it get the token (`/client/v4`). */
  basePath: string;
}

function refusal(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

function secretOf(env: unknown, name: string): string | null {
  const value = (env as Record<string, unknown> | null)?.[name];
  return typeof value === "string" && value ? value : null;
}

function rewritten(request: Request, headers: Array<[string, string]>): Request {
  return new Request(request, { headers: new Headers(headers) });
}

/** Host → handler adding the route's key: `static outboundByHost` of the production Sandbox. */
export function modelApiHandlers(
  routes: readonly EgressRoute[] = EGRESS_ROUTES,
  send: Send = viaFetch,
): Record<string, OutboundHandler> {
  const handlers: Record<string, OutboundHandler> = {};
  for (const route of routes) {
    handlers[new URL(route.upstream).hostname] = async (request, env) => {
      const key = secretOf(env, route.secret);
      if (!key)
        return refusal(401, "egress_no_key", `the orchestrator has no ${route.secret} for ${route.name}`);
      return send(rewritten(request, withCredential(request.headers.entries(), route, key)));
    };
  }
  return handlers;
}

function isGrantParams(value: unknown): value is CloudflareApiGrantParams {
  const p = value as Partial<CloudflareApiGrantParams> | null;
  return typeof p?.expiresAt === "number" && typeof p.basePath === "string";
}

/** The grant handler: `Bearer <CLOUDFLARE_API_TOKEN>` for paths under the grant's base, until it expires. */
export function cloudflareApiGrantHandler(send: Send = viaFetch, now = () => Date.now()): OutboundHandler {
  return async (request, env, ctx) => {
    if (!isGrantParams(ctx.params)) return refusal(403, "grant_unknown", "no Cloudflare API grant is open");
    if (ctx.params.expiresAt <= now())
      return refusal(403, "grant_expired", "the Cloudflare API grant expired");
    const base = ctx.params.basePath.replace(/\/+$/, "");
    const path = new URL(request.url).pathname;
    if (!(path === base || path.startsWith(`${base}/`)))
      return refusal(403, "grant_unknown", `the grant covers ${base}/… only`);
    const token = secretOf(env, "CLOUDFLARE_API_TOKEN");
    if (!token) return refusal(401, "egress_no_key", "the orchestrator has no CLOUDFLARE_API_TOKEN");
    return send(
      rewritten(request, withCredential(request.headers.entries(), { header: "authorization" }, token)),
    );
  };
}

/** What a Sandbox stub (`getSandbox(env.Sandbox, name)`) offers to steer its interception at run time. */
export interface OutboundControl {
  setOutboundByHost(hostname: string, methodName: string, params: CloudflareApiGrantParams): Promise<void>;
  removeOutboundByHost(hostname: string): Promise<void>;
}

/**
 * Lets this one Sandbox call `https://api.cloudflare.com/client/v4/…` with the organisation's
 * token (added by the handler) until `ttlMs` passes or the grant is revoked. The Sandbox is given
 * the real API base and a placeholder token; it never sees the token.
 */
export async function openCloudflareApiGrant(
  sandbox: OutboundControl,
  options: { ttlMs: number; now?: number; basePath?: string },
): Promise<CloudflareApiGrantParams> {
  if (!(options.ttlMs > 0 && options.ttlMs <= MAX_SANDBOX_GRANT_MS))
    throw new RangeError(`ttlMs must be in (0, ${MAX_SANDBOX_GRANT_MS}]`);
  const params = {
    expiresAt: (options.now ?? Date.now()) + options.ttlMs,
    basePath: options.basePath ?? "/client/v4",
  };
  await sandbox.setOutboundByHost(CLOUDFLARE_API_HOST, CLOUDFLARE_API_GRANT, params);
  return params;
}

export function revokeCloudflareApiGrant(sandbox: OutboundControl): Promise<void> {
  return sandbox.removeOutboundByHost(CLOUDFLARE_API_HOST);
}
