/**
 * What every inbox route shares: its Hono environment, the same-origin check on
 * form posts, the CSRF signing secret and the one place a redirect may go.
 */
import type { Context } from "hono";
import type { AppEnv } from "../web/auth.ts";
import { signingSecret } from "../web/signing.ts";

export type InboxEnv = AppEnv;
export type C = Context<InboxEnv>;

/** Requests from another site are refused outright (the cookie is SameSite=Strict as well). */
export function sameOrigin(c: C): boolean {
  const origin = c.req.header("origin");
  if (!origin) return true;
  const allowed = new Set([new URL(c.req.url).origin]);
  if (c.env.NIGHTSHIFT_PUBLIC_URL) allowed.add(new URL(c.req.url, c.env.NIGHTSHIFT_PUBLIC_URL).origin);
  return allowed.has(origin);
}

export function secretOf(c: C): string {
  const secret = signingSecret(c.env);
  if (!secret) throw new Error("no signing key (NIGHTSHIFT_SIGNING_KEY or NIGHTSHIFT_TOKEN) is configured");
  return secret;
}

/** Only redirect within the inbox (no open redirects). */
export function safeNext(next: string | undefined): string {
  return next && /^\/inbox(\/[\w\-./:%?=&]*)?$/.test(next) && !next.startsWith("//") ? next : "/inbox";
}
