/**
 * Every API path of a resource a temporary account does not have (R2,
 * Workflows, Containers, …; see unsupported.ts) answers 403 in Cloudflare's
 * envelope naming the resource, after the usual account authentication.
 */
import type { Match } from "../router.ts";
import type { Handler, RouteValue } from "../context.ts";
import { callerAccount } from "../context.ts";
import { notAvailableError, unsupportedResourceForPath } from "../unsupported.ts";

export const notAvailable: Handler = (ctx) => {
  const resource = unsupportedResourceForPath(ctx.path);
  if (!resource)
    throw new Error(`notAvailable routed for ${ctx.path}, which no unsupported resource manages`);
  throw notAvailableError(resource, callerAccount(ctx).temporary);
};

/** The match for a path no route names but an unsupported resource's API prefix covers (any method). */
export function unsupportedRoute(path: string): Match<RouteValue> | null {
  if (!unsupportedResourceForPath(path)) return null;
  const account = /^\/accounts\/([^/]+)\//.exec(path)?.[1];
  if (!account) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(account);
  } catch {
    return null;
  }
  return { value: { auth: "account", handler: notAvailable }, params: { account: decoded } };
}
