/**
 * Webhook signature checks, both schemes nightshift accepts:
 *
 * - GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body
 *   with the webhook's secret (docs.github.com, "Validating webhook deliveries").
 * - Standard Webhooks (standardwebhooks.com): `webhook-signature` holds one or
 *   more space-separated `v1,<base64>` HMAC-SHA256 signatures over
 *   `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the base64 bytes of a
 *   `whsec_…` secret; the timestamp must be within a tolerance (5 minutes) so
 *   a captured request cannot be replayed later.
 *
 * Several secrets may be configured per source (rotation): any one verifying
 * is enough. Comparison is `crypto.subtle.verify`, which compares MACs in
 * constant time. Pure apart from WebCrypto; the caller passes the clock.
 * Nothing here logs: signatures and secrets never leave this module.
 */
import { err, ok, type Result } from "../ports/result.ts";

export type SignatureErrorCode = "missing_signature" | "bad_signature" | "stale_timestamp" | "bad_secret";
export interface SignatureError {
  code: SignatureErrorCode;
  message: string;
}

export const DEFAULT_TOLERANCE_MS = 5 * 60_000;

const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function base64ToBytes(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function importKey(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
}

/** True when any (key, signature) pair verifies. Every pair is tried, so timing does not say which. */
async function anyVerifies(keys: Uint8Array[], signatures: Uint8Array[], data: Uint8Array): Promise<boolean> {
  let verified = false;
  for (const key of keys) {
    const cryptoKey = await importKey(key);
    for (const signature of signatures) {
      if (await crypto.subtle.verify("HMAC", cryptoKey, signature, data)) verified = true;
    }
  }
  return verified;
}

/** GitHub's scheme. `secrets` are the configured secrets as text (GitHub uses them as UTF-8 keys). */
export async function verifyGithubSignature(input: {
  secrets: readonly string[];
  header: string | undefined;
  body: Uint8Array;
}): Promise<Result<true, SignatureError>> {
  if (!input.header) return err({ code: "missing_signature", message: "missing X-Hub-Signature-256 header" });
  const match = /^sha256=([0-9a-f]{64})$/i.exec(input.header.trim());
  const signature = match ? hexToBytes(match[1]!) : null;
  if (!signature)
    return err({ code: "bad_signature", message: "X-Hub-Signature-256 is not sha256=<64 hex digits>" });
  const keys = input.secrets.map((s) => encoder.encode(s));
  if (!(await anyVerifies(keys, [signature], input.body)))
    return err({ code: "bad_signature", message: "X-Hub-Signature-256 does not match the body" });
  return ok(true);
}

/** Decodes a Standard Webhooks secret: `whsec_<base64>` (the prefix is optional, as in the reference library). */
export function standardSecretBytes(secret: string): Uint8Array | null {
  const bytes = base64ToBytes(secret.startsWith("whsec_") ? secret.slice(6) : secret);
  return bytes && bytes.length > 0 ? bytes : null;
}

/** The Standard Webhooks scheme. `now` is ms since epoch; the header timestamp is in seconds. */
export async function verifyStandardWebhook(input: {
  secrets: readonly string[];
  id: string | undefined;
  timestamp: string | undefined;
  signatures: string | undefined;
  body: Uint8Array;
  now: number;
  toleranceMs?: number;
}): Promise<Result<true, SignatureError>> {
  const { id, timestamp } = input;
  if (!id || !timestamp || !input.signatures)
    return err({
      code: "missing_signature",
      message: "missing webhook-id, webhook-timestamp or webhook-signature header",
    });
  if (!/^\d{1,12}$/.test(timestamp))
    return err({ code: "bad_signature", message: "webhook-timestamp is not a number of seconds" });
  const tolerance = input.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  if (Math.abs(input.now - Number(timestamp) * 1000) > tolerance)
    return err({
      code: "stale_timestamp",
      message: `webhook-timestamp is more than ${tolerance / 1000}s away from now`,
    });
  // Other versions (e.g. v1a, asymmetric) are skipped, as the specification asks.
  const signatures = input.signatures
    .split(" ")
    .filter((part) => part.startsWith("v1,"))
    .map((part) => base64ToBytes(part.slice(3)))
    .filter((bytes): bytes is Uint8Array => bytes !== null && bytes.length > 0);
  if (signatures.length === 0)
    return err({ code: "bad_signature", message: "webhook-signature holds no v1 signature" });
  const keys = input.secrets.map(standardSecretBytes).filter((bytes): bytes is Uint8Array => bytes !== null);
  if (keys.length === 0) return err({ code: "bad_secret", message: "no usable secret is configured" });
  const signed = concat(encoder.encode(`${id}.${timestamp}.`), input.body);
  if (!(await anyVerifies(keys, signatures, signed)))
    return err({ code: "bad_signature", message: "no webhook-signature matches the body" });
  return ok(true);
}
