/**
 * CSRF protection for the inbox's forms. The sign-in cookie is SameSite=Strict,
 * and every form also carries a token: `<issuedAt>.<HMAC(identity, scope,
 * issuedAt)>`, bound to who rendered the page and to what the form acts on
 * (a gate id, a signed link). Stateless: nothing to store, valid 12 hours.
 */
import { timingSafeEqual } from "../web/auth-compare.ts";
import { hmac } from "../web/signing.ts";

export const CSRF_FIELD = "csrf";
const LIFETIME_MS = 12 * 60 * 60 * 1000;

export async function csrfToken(
  secret: string,
  bound: { identity: string; scope: string },
  now: number,
): Promise<string> {
  return `${now}.${await hmac(secret, `csrf|${bound.identity}|${bound.scope}|${now}`)}`;
}

export type CsrfVerdict = { ok: true } | { ok: false; message: string };

export async function checkCsrf(
  secret: string,
  token: string | undefined,
  bound: { identity: string; scope: string },
  now: number,
): Promise<CsrfVerdict> {
  if (!token) return { ok: false, message: "the form carried no CSRF token; reload the page and try again" };
  const [issued, sig] = token.split(".");
  const at = Number(issued);
  if (!sig || !Number.isFinite(at))
    return { ok: false, message: "the form's CSRF token is malformed; reload the page" };
  const expected = await hmac(secret, `csrf|${bound.identity}|${bound.scope}|${at}`);
  if (!timingSafeEqual(sig, expected))
    return { ok: false, message: "the form's CSRF token does not match this session; reload the page" };
  if (now - at > LIFETIME_MS) return { ok: false, message: "the form is too old; reload the page" };
  return { ok: true };
}
