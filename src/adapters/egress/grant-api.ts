/**
 * The egress proxy's grant API, shared by both ends: the proxy (Node,
 * src/local/egress-proxy) and the orchestrator's client (Worker, grants.ts).
 * Pure and Worker-safe.
 *
 * A grant lets code in one Sandbox call one upstream (e.g. the Cloudflare API)
 * with a bearer token the Sandbox never holds: the orchestrator opens it with
 * the token, hands the Sandbox only the grant's `baseUrl`, and revokes it when
 * the step ends; the grant also expires by itself.
 *
 *   POST   /__egress/grants        Authorization: Bearer <admin secret>
 *          { upstream, token, ttlMs }  → 201 { id, baseUrl, expiresAt }
 *   DELETE /__egress/grants/<id>   → 204 (404 when unknown or already gone)
 *   ANY    /__grant/<id>/<rest>    → upstream/<rest>, Authorization replaced by `Bearer <token>`;
 *                                     403 once unknown, revoked or expired
 */
import { z } from "zod";

export const GRANTS_PATH = "/__egress/grants";
export const GRANT_PATH_PREFIX = "/__grant/";
/** Grants are meant for one step; a longer lifetime is refused. */
export const MAX_GRANT_TTL_MS = 60 * 60_000;

export const grantRequestSchema = z.strictObject({
  /** Base URL requests under the grant go to, e.g. `https://api.cloudflare.com/client/v4`. */
  upstream: z.url({ protocol: /^https?$/ }).refine((value) => {
    const url = new URL(value);
    return !url.username && !url.password && !url.search && !url.hash;
  }, "upstream must be a plain base URL (no credentials, query or fragment)"),
  /** The bearer token added to every forwarded request. Never echoed, never logged. */
  token: z
    .string()
    .min(1)
    .max(4_096)
    .regex(/^[\x21-\x7e]+$/, "token must be printable ASCII without spaces"),
  ttlMs: z.number().int().positive().max(MAX_GRANT_TTL_MS),
});
export type GrantRequest = z.infer<typeof grantRequestSchema>;

export interface GrantResponse {
  id: string;
  /** `<proxy>/__grant/<id>`: use it where the upstream's base URL would go. */
  baseUrl: string;
  /** Epoch ms after which the grant answers 403. */
  expiresAt: number;
}

/** Why a grant request was refused (the `error.code` of the proxy's JSON answers). */
export type GrantRefusal =
  | "unauthorized"
  | "invalid_grant_request"
  | "grant_unknown"
  | "grant_revoked"
  | "grant_expired";
