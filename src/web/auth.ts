/**
 * Authentication: who is calling. Three credentials, one `Principal`:
 *
 * - `Authorization: Bearer <NIGHTSHIFT_TOKEN>`: the bootstrap admin (the
 *   operator's root credential; holds every role). Tests and `npm start` use it.
 * - `Authorization: Bearer nst_…`: a personal API token (hashed in D1, with an
 *   identity and roles; revocable).
 * - `Cf-Access-Jwt-Assertion`: Cloudflare Access in front of the Worker;
 *   identity = the verified email, roles from the `people` table.
 *
 * The inbox (`/inbox/*`) also accepts a personal or bootstrap token from its
 * sign-in cookie; `/api/*` never does: a browser attaches cookies to requests
 * other sites make, so the API takes only credentials a page cannot make a
 * browser send (issue 15, item 5; docs/inbox.md, threat model). What a
 * principal may do is decided in `roles.ts`. Secrets never reach logs.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { Env } from "../env.ts";
import { findLiveToken, getPerson } from "../store/people.ts";
import { accessConfigured, verifyAccessJwt } from "./access-jwt.ts";
import { timingSafeEqual } from "./auth-compare.ts";
import { ApiError } from "./errors.ts";
import { isAutomationIdentity, type Principal } from "./roles.ts";

export { timingSafeEqual } from "./auth-compare.ts";

export type AppEnv = { Bindings: Env; Variables: { principal: Principal } };

/** The inbox's sign-in cookie: holds a token, HttpOnly, SameSite=Strict. */
export const SESSION_COOKIE = "nightshift_session";
export const ACCESS_HEADER = "cf-access-jwt-assertion";

export const BOOTSTRAP_PRINCIPAL: Principal = {
  identity: "admin",
  roles: ["admin", "approver", "legal", "viewer"],
  via: "bootstrap",
};

export type Resolved = { ok: true; principal: Principal } | { ok: false; message: string };

/** Resolves a bearer secret (bootstrap or personal token) to a principal. */
export async function principalForSecret(env: Env, secret: string, now: number): Promise<Resolved> {
  if (env.NIGHTSHIFT_TOKEN && timingSafeEqual(secret, env.NIGHTSHIFT_TOKEN))
    return { ok: true, principal: BOOTSTRAP_PRINCIPAL };
  if (secret.startsWith("nst_")) {
    const token = await findLiveToken(env.DB, secret, now);
    // A token minted for an automation identity before such names were reserved acts as nobody.
    if (token && isAutomationIdentity(token.identity))
      return { ok: false, message: "this API token names an identity reserved for automation" };
    if (token)
      return {
        ok: true,
        principal: { identity: token.identity, roles: token.roles_json, via: "token", tokenId: token.id },
      };
    return { ok: false, message: "unknown, revoked or expired API token" };
  }
  return { ok: false, message: "missing or wrong bearer token (Authorization: Bearer <token>)" };
}

/**
 * Who sent this request, from its header, Access JWT or (with `cookie`, the
 * inbox only) sign-in cookie, in that order.
 */
export async function resolvePrincipal(
  c: Context<AppEnv>,
  now: number,
  options: { cookie: boolean },
): Promise<Resolved> {
  const header = c.req.header("authorization");
  if (header) {
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) return { ok: false, message: "the Authorization header must be: Bearer <token>" };
    return principalForSecret(c.env, match[1]!.trim(), now);
  }
  const assertion = c.req.header(ACCESS_HEADER);
  if (assertion) {
    if (!accessConfigured(c.env))
      return { ok: false, message: "Cloudflare Access is not configured on this deployment" };
    const verdict = await verifyAccessJwt(c.env, assertion, now);
    if (!verdict.ok) return { ok: false, message: verdict.message };
    const person = await getPerson(c.env.DB, verdict.email);
    return {
      ok: true,
      principal: { identity: verdict.email, roles: person?.roles_json ?? [], via: "access" },
    };
  }
  const cookie = getCookie(c, SESSION_COOKIE);
  if (cookie && options.cookie) return principalForSecret(c.env, cookie, now);
  if (cookie)
    return {
      ok: false,
      message: "the inbox's sign-in cookie is not a credential for /api; send Authorization: Bearer <token>",
    };
  if (!c.env.NIGHTSHIFT_TOKEN && !accessConfigured(c.env))
    return {
      ok: false,
      message:
        "the server has neither NIGHTSHIFT_TOKEN nor Cloudflare Access configured; every request is refused",
    };
  return { ok: false, message: "sign in: Authorization: Bearer <token>, or through Cloudflare Access" };
}

/** API middleware: 401 without a bearer credential (never the cookie); sets `principal`. */
export function authenticate(now: () => number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const resolved = await resolvePrincipal(c, now(), { cookie: false });
    if (!resolved.ok) throw new ApiError("unauthorized", resolved.message);
    c.set("principal", resolved.principal);
    await next();
  };
}

/** 403 unless the check passes. */
export function demand(principal: Principal, allowed: boolean, what: string): void {
  if (!allowed)
    throw new ApiError(
      "forbidden",
      `${principal.identity} (${principal.roles.join(", ") || "no roles"}) may not ${what}`,
    );
}
