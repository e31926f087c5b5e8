/**
 * Cloudflare Access sign-in: Access sits in front of the Worker and forwards
 * a signed JWT in `Cf-Access-Jwt-Assertion`. We verify its signature against
 * the team's certs (`https://<team>.cloudflareaccess.com/cdn-cgi/access/certs`),
 * its audience (the Access application's AUD tag), issuer and expiry, and take
 * its `email` claim as the identity. Roles come from the `people` table, never
 * from the token.
 *
 * `ACCESS_JWKS` (an inline JWK set) replaces the certs URL where the Worker
 * cannot reach it (air-gapped installs, tests).
 */
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { Env } from "../env.ts";

export type AccessEnv = Pick<Env, "ACCESS_TEAM_DOMAIN" | "ACCESS_AUD" | "ACCESS_CERTS_URL" | "ACCESS_JWKS">;

export type AccessVerdict =
  | { ok: true; email: string }
  | { ok: false; code: "unconfigured" | "expired" | "invalid"; message: string };

const remoteSets = new Map<string, JWTVerifyGetKey>();

function teamIssuer(domain: string): string {
  const bare = domain.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  return `https://${bare}`;
}

function keysFor(env: AccessEnv, issuer: string): JWTVerifyGetKey {
  if (env.ACCESS_JWKS) return createLocalJWKSet(JSON.parse(env.ACCESS_JWKS));
  const url = env.ACCESS_CERTS_URL ?? `${issuer}/cdn-cgi/access/certs`;
  let set = remoteSets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url));
    remoteSets.set(url, set);
  }
  return set;
}

export function accessConfigured(env: AccessEnv): boolean {
  return Boolean(env.ACCESS_TEAM_DOMAIN && env.ACCESS_AUD);
}

/** Verifies an Access JWT. `now` (ms) is injectable so expiry is testable without waiting. */
export async function verifyAccessJwt(env: AccessEnv, token: string, now?: number): Promise<AccessVerdict> {
  if (!env.ACCESS_TEAM_DOMAIN || !env.ACCESS_AUD)
    return {
      ok: false,
      code: "unconfigured",
      message: "Cloudflare Access is not configured (ACCESS_TEAM_DOMAIN, ACCESS_AUD)",
    };
  const issuer = teamIssuer(env.ACCESS_TEAM_DOMAIN);
  try {
    const { payload } = await jwtVerify(token, keysFor(env, issuer), {
      audience: env.ACCESS_AUD,
      issuer,
      algorithms: ["RS256", "ES256"],
      requiredClaims: ["exp", "email"],
      ...(now !== undefined ? { currentDate: new Date(now) } : {}),
    });
    const email = typeof payload.email === "string" ? payload.email.trim().toLowerCase() : "";
    if (!email) return { ok: false, code: "invalid", message: "the Access token carries no email" };
    return { ok: true, email };
  } catch (error) {
    if (error instanceof errors.JWTExpired)
      return { ok: false, code: "expired", message: "the Access token has expired; sign in again" };
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, code: "invalid", message: `the Access token is not valid: ${why}` };
  }
}
