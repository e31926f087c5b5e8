/**
 * What `/api/*` refuses before authentication: requests a page on another
 * origin can make a browser send (issue 15, item 5). Two rules, each enough
 * on its own against a form or a `no-cors` fetch, both kept as depth:
 *
 * - A request that carries `Origin` (browsers send it on every cross-origin
 *   request and on same-origin writes) must come from this orchestrator's own
 *   origin, exactly: another port on the same host is another origin.
 * - A write's body is `application/json`. A form (`text/plain`, urlencoded,
 *   multipart) or a `no-cors` fetch cannot send that type without a CORS
 *   preflight, which this API never answers: 415 before any handler runs.
 *
 * The third rule, no ambient credential, is in `auth.ts` (no cookie on /api).
 * Pure predicates plus one middleware; webhooks keep their own rules.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../web/auth.ts";
import { ApiError } from "../web/errors.ts";

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** True when `contentType` names `application/json` (parameters such as charset allowed). */
export function isJsonType(contentType: string | undefined): boolean {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase() === "application/json";
}

/** The origins this orchestrator answers as: the request's own, and its public URL's. */
export function ownOrigins(requestUrl: string, publicUrl: string | undefined): Set<string> {
  const origins = new Set([new URL(requestUrl).origin]);
  if (publicUrl) origins.add(new URL(publicUrl).origin);
  return origins;
}

export function apiRequestGuard(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && !ownOrigins(c.req.url, c.env.NIGHTSHIFT_PUBLIC_URL).has(origin))
      throw new ApiError(
        "forbidden",
        `cross-origin request refused: Origin ${origin} is not this orchestrator's origin`,
        "headers.origin",
      );
    const type = c.req.header("content-type");
    if (WRITES.has(c.req.method) && type !== undefined && !isJsonType(type))
      throw new ApiError(
        "unsupported_media_type",
        `request bodies must be application/json (got ${type.split(";")[0]})`,
        "headers.content-type",
      );
    await next();
  };
}
