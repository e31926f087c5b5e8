/**
 * Single-use, expiring, HMAC-signed links to one gate page. The holder of a
 * live link may decide that gate once, without signing in: notifications carry
 * them. The signature proves we issued it; the D1 row (see
 * `src/store/signed-links.ts`) makes it single-use. Never issued for `tos`:
 * a legal sign-off needs a signed-in person with the legal role.
 */
import type { Env } from "../env.ts";
import type { GateRow } from "../store/rows.ts";
import { getLink, insertLink, type LinkRow } from "../store/signed-links.ts";
import { base64url, sign, signingSecret, verify } from "../web/signing.ts";

export const DEFAULT_LINK_TTL_MS = 24 * 60 * 60 * 1000;

export type LinkFailure = {
  ok: false;
  code: "link_invalid" | "link_used" | "link_expired" | "unavailable";
  message: string;
};

export async function issueLink(
  env: Pick<Env, "DB" | "NIGHTSHIFT_SIGNING_KEY" | "NIGHTSHIFT_TOKEN">,
  request: { gate: GateRow; issuedTo: string; issuedBy: string; ttlMs: number; now: number },
): Promise<{ ok: true; token: string; path: string; link: LinkRow } | LinkFailure> {
  const secret = signingSecret(env);
  if (!secret)
    return { ok: false, code: "unavailable", message: "no signing key: set NIGHTSHIFT_SIGNING_KEY" };
  if (request.gate.kind === "tos")
    return {
      ok: false,
      code: "link_invalid",
      message: "no signed links for the tos gate: a legal sign-off needs a signed-in person",
    };
  // A link never outlives its gate.
  const expiresAt = Math.min(request.now + request.ttlMs, request.gate.deadline_at);
  const link: LinkRow = {
    id: `lnk_${base64url(crypto.getRandomValues(new Uint8Array(12)))}`,
    gate_id: request.gate.id,
    run_id: request.gate.run_id,
    issued_to: request.issuedTo,
    issued_by: request.issuedBy,
    created_at: request.now,
    expires_at: expiresAt,
    used_at: null,
    used_decision: null,
  };
  await insertLink(env.DB, link);
  const token = await sign(secret, { l: link.id, g: link.gate_id, e: expiresAt });
  return { ok: true, token, path: `/inbox/l/${token}`, link };
}

/** The link behind a token, if it is ours, unused and unexpired. */
export async function openLink(
  env: Pick<Env, "DB" | "NIGHTSHIFT_SIGNING_KEY" | "NIGHTSHIFT_TOKEN">,
  token: string,
  now: number,
): Promise<{ ok: true; link: LinkRow } | LinkFailure> {
  const secret = signingSecret(env);
  if (!secret) return { ok: false, code: "unavailable", message: "signed links are not configured" };
  const payload = (await verify(secret, token)) as { l?: unknown; g?: unknown; e?: unknown } | null;
  if (!payload || typeof payload.l !== "string")
    return { ok: false, code: "link_invalid", message: "this link is not one of ours (bad signature)" };
  const link = await getLink(env.DB, payload.l);
  if (!link || link.gate_id !== payload.g)
    return { ok: false, code: "link_invalid", message: "this link was never issued or was withdrawn" };
  if (link.used_at !== null)
    return {
      ok: false,
      code: "link_used",
      message: `this link was already used (to ${link.used_decision ?? "decide"}) on ${new Date(link.used_at).toISOString()}; a signed link decides once`,
    };
  if (now >= link.expires_at)
    return {
      ok: false,
      code: "link_expired",
      message: `this link expired on ${new Date(link.expires_at).toISOString()}; open the inbox to decide`,
    };
  return { ok: true, link };
}
