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
 *          { upstream, token?, ttlMs, placeholder?, capture? }  → 201 { id, baseUrl, expiresAt }
 *   GET    /__egress/grants/<id>   → 200 { id, expiresAt, captured } (404 when unknown or gone)
 *   DELETE /__egress/grants/<id>   → 204 (404 when unknown or already gone)
 *   ANY    /__grant/<id>/<rest>    → upstream/<rest>, Authorization replaced by `Bearer <token>`;
 *                                     403 once unknown, revoked or expired
 *
 * With `placeholder`, only `Authorization: Bearer <placeholder>` is replaced; any other
 * Authorization (e.g. an assets-upload session JWT the upstream itself handed out) passes
 * untouched, and a request without one gets none. Without it, whatever the client sent is
 * replaced (the original behaviour).
 *
 * With `capture: true` (a `wrangler deploy --temporary` step, which needs `placeholder`), a
 * successful `POST <upstream>/provisioning/previews` answer is rewritten on its way back:
 * `account.apiToken` becomes the placeholder and `claim.url` becomes `PLACEHOLDER_CLAIM_URL`.
 * The proxy keeps the real values, uses the captured token as the grant's token from then on,
 * and shows them only to the admin (`GET /__egress/grants/<id>`), so the orchestrator can keep
 * them and lend the token to the run's next deploy step. The Sandbox sees neither.
 *
 * With `provisioningKey` (a capturing grant), the provisioning call goes upstream with that
 * `Idempotency-Key`. wrangler sends none, and its provisioning answer can be lost after the
 * account was made (the API or the proxy went away in between): the deploy's next try, under
 * a new grant with the same key, then gets that same account back instead of a second one,
 * wherever the API honours the header (the local emulator does).
 *
 * With `key`, opening again with the same key while that grant lives returns the same grant
 * (200, its id and URL): a step run again after the orchestrator died mid-step gets the grant
 * its first run's command still uses in the Sandbox, and what that grant captured.
 */
import { z } from "zod";

export const GRANTS_PATH = "/__egress/grants";
export const GRANT_PATH_PREFIX = "/__grant/";
/** Grants are meant for one step; a longer lifetime is refused. */
export const MAX_GRANT_TTL_MS = 60 * 60_000;

const tokenSchema = z
  .string()
  .min(1)
  .max(4_096)
  .regex(/^[\x21-\x7e]+$/, "token must be printable ASCII without spaces");

export const grantRequestSchema = z
  .strictObject({
    /** Base URL requests under the grant go to, e.g. `https://api.cloudflare.com/client/v4`. */
    upstream: z.url({ protocol: /^https?$/ }).refine((value) => {
      const url = new URL(value);
      return !url.username && !url.password && !url.search && !url.hash;
    }, "upstream must be a plain base URL (no credentials, query or fragment)"),
    /**
     * The bearer token added to forwarded requests. Never echoed, never logged. Optional only
     * for a capturing grant (its token is then the one it captures).
     */
    token: tokenSchema.optional(),
    ttlMs: z.number().int().positive().max(MAX_GRANT_TTL_MS),
    /** Replace only `Bearer <placeholder>`; every other Authorization passes untouched. */
    placeholder: tokenSchema.optional(),
    /** Capture a temporary account provisioned through the grant (see above). */
    capture: z.boolean().optional(),
    /** Opening twice with one key gives one grant (see above): the step's idempotency key. */
    key: z.string().min(1).max(512).optional(),
    /** The provisioning call's `Idempotency-Key` (see above): one per account the deploy step may make. */
    provisioningKey: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[\x21-\x7e]+$/, "provisioningKey must be printable ASCII without spaces")
      .optional(),
  })
  .refine((g) => g.token !== undefined || g.capture === true, {
    message: "token is required unless the grant captures one",
    path: ["token"],
  })
  .refine((g) => !g.capture || g.placeholder !== undefined, {
    message: "a capturing grant needs a placeholder",
    path: ["placeholder"],
  })
  .refine((g) => g.provisioningKey === undefined || g.capture === true, {
    message: "provisioningKey is only for a capturing grant",
    path: ["provisioningKey"],
  });
export type GrantRequest = z.infer<typeof grantRequestSchema>;

/** The provisioning path a capturing grant watches, under its upstream. */
export const PROVISIONING_PATH = "/provisioning/previews";

/** What the Sandbox's wrangler sees (and prints) instead of the claim URL. */
export const PLACEHOLDER_CLAIM_URL = "https://claim-url.nightshift.invalid/held-by-the-orchestrator";

/** A temporary account as the provisioning call answered it, real token and claim URL included. */
export const grantCaptureSchema = z.object({
  account: z.object({
    id: z.string().min(1),
    name: z.string().min(1),
    apiToken: tokenSchema,
    expiresAt: z.string().min(1),
  }),
  claim: z.object({ url: z.url(), expiresAt: z.string().min(1) }),
});
export type GrantCapture = z.infer<typeof grantCaptureSchema>;

/** `GET /__egress/grants/<id>` (admin only): what a capturing grant captured, if anything. */
export interface GrantState {
  id: string;
  expiresAt: number;
  captured: GrantCapture | null;
}

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
