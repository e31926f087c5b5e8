/**
 * HMAC-SHA-256 signatures for what the server hands out and later trusts:
 * signed links to a gate page and CSRF tokens for the inbox forms. The key is
 * `NIGHTSHIFT_SIGNING_KEY`, or, when that is unset, one derived from the
 * bootstrap token (so local mode works with one secret). Pure WebCrypto: runs
 * in the Worker and in Node alike.
 */
import type { Env } from "../env.ts";
import { timingSafeEqual } from "./auth-compare.ts";

export function signingSecret(env: Pick<Env, "NIGHTSHIFT_SIGNING_KEY" | "NIGHTSHIFT_TOKEN">): string | null {
  if (env.NIGHTSHIFT_SIGNING_KEY) return env.NIGHTSHIFT_SIGNING_KEY;
  if (env.NIGHTSHIFT_TOKEN) return `nightshift-signing-key-derived-from-token:${env.NIGHTSHIFT_TOKEN}`;
  return null;
}

export function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replaceAll("=", "");
}

function fromBase64url(text: string): Uint8Array {
  const padded = text.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(padded + "=".repeat((4 - (padded.length % 4)) % 4));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

export async function hmac(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message));
  return base64url(new Uint8Array(sig));
}

/** `payload.signature`, both base64url; the payload is JSON. */
export async function sign(secret: string, payload: unknown): Promise<string> {
  const body = base64url(new TextEncoder().encode(JSON.stringify(payload)));
  return `${body}.${await hmac(secret, body)}`;
}

/** The payload when the signature is ours, else null (forged, truncated, or another key). */
export async function verify(secret: string, token: string): Promise<unknown | null> {
  const [body, sig, extra] = token.split(".");
  if (!body || !sig || extra !== undefined) return null;
  if (!timingSafeEqual(sig, await hmac(secret, body))) return null;
  try {
    return JSON.parse(new TextDecoder().decode(fromBase64url(body))) as unknown;
  } catch {
    return null;
  }
}
