/**
 * People and credentials over the API: personal tokens (create, list, revoke)
 * and the roles of Cloudflare Access identities. Admins manage everyone; a
 * person may mint tokens for themselves with a subset of their own roles and
 * revoke their own tokens. Nobody grants upward into `legal`: only a principal
 * holding it (or the bootstrap token, from configuration) may hand it out
 * (`mayGrant`), and no token is made for an automation identity.
 */
import type { Hono } from "hono";
import { z } from "zod";
import {
  createToken,
  getToken,
  listPeople,
  listTokens,
  removePerson,
  revokeToken,
  setPerson,
  type TokenRow,
} from "../store/people.ts";
import { type AppEnv, demand } from "../web/auth.ts";
import { ApiError } from "../web/errors.ts";
import {
  hasRole,
  isAutomationIdentity,
  mayGrant,
  type Principal,
  type Role,
  rolesSchema,
} from "../web/roles.ts";
import { jsonBody } from "./validate.ts";

const identitySchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((who) => !isAutomationIdentity(who), "reserved for the run's automation");

const tokenBody = z.strictObject({
  identity: identitySchema.optional(),
  roles: rolesSchema,
  label: z.string().max(200).optional(),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
const personBody = z.strictObject({ roles: rolesSchema });
const emailSchema = z.email();

export function tokenView(token: TokenRow) {
  return {
    id: token.id,
    identity: token.identity,
    roles: token.roles_json,
    label: token.label,
    createdBy: token.created_by,
    createdAt: token.created_at,
    expiresAt: token.expires_at,
    revokedAt: token.revoked_at,
    lastUsedAt: token.last_used_at,
  };
}

export function mountPeopleRoutes(app: Hono<AppEnv>, options: { now: () => number }): void {
  const { now } = options;

  app.post("/api/tokens", async (c) => {
    const me = c.get("principal");
    const body = await jsonBody(c, tokenBody);
    const identity = body.identity ?? me.identity;
    if (!hasRole(me, "admin")) {
      demand(me, identity === me.identity, `create tokens for ${identity}`);
      const extra = body.roles.filter((role) => !me.roles.includes(role));
      demand(me, extra.length === 0, `grant roles they do not hold (${extra.join(", ")})`);
    }
    demandGrant(me, body.roles);
    const at = now();
    const { row, secret } = await createToken(c.env.DB, {
      identity,
      roles: [...new Set(body.roles)],
      label: body.label ?? null,
      createdBy: me.identity,
      at,
      expiresAt: body.expiresInDays ? at + body.expiresInDays * 86_400_000 : null,
    });
    // The secret is shown once; only its hash is kept.
    return c.json({ token: secret, ...tokenView(row) }, 201);
  });

  app.get("/api/tokens", async (c) => {
    const me = c.get("principal");
    const all = await listTokens(c.env.DB);
    const visible = hasRole(me, "admin") ? all : all.filter((t) => t.identity === me.identity);
    return c.json({ tokens: visible.map(tokenView) });
  });

  app.delete("/api/tokens/:id", async (c) => {
    const me = c.get("principal");
    const token = await getToken(c.env.DB, c.req.param("id"));
    if (!token) throw new ApiError("not_found", `no token ${c.req.param("id")}`, "id");
    demand(me, hasRole(me, "admin") || token.identity === me.identity, `revoke ${token.identity}'s token`);
    if (!(await revokeToken(c.env.DB, token.id, me.identity, now())))
      throw new ApiError("conflict", `token ${token.id} is already revoked`, "id");
    return c.json({ revoked: token.id });
  });

  app.get("/api/people", async (c) => {
    demand(c.get("principal"), hasRole(c.get("principal"), "admin"), "list people (needs admin)");
    const people = await listPeople(c.env.DB);
    return c.json({
      people: people.map((p) => ({
        email: p.email,
        roles: p.roles_json,
        updatedBy: p.updated_by,
        updatedAt: p.updated_at,
      })),
    });
  });

  app.put("/api/people/:email", async (c) => {
    const me = c.get("principal");
    demand(me, hasRole(me, "admin"), "assign roles (needs admin)");
    const email = emailSchema.safeParse(c.req.param("email"));
    if (!email.success) throw new ApiError("invalid_request", "not an email address", "email");
    const body = await jsonBody(c, personBody);
    demandGrant(me, body.roles);
    await setPerson(c.env.DB, {
      email: email.data,
      roles: [...new Set(body.roles)],
      by: me.identity,
      at: now(),
    });
    return c.json({ person: { email: email.data.toLowerCase(), roles: body.roles } });
  });

  app.delete("/api/people/:email", async (c) => {
    const me = c.get("principal");
    demand(me, hasRole(me, "admin"), "remove people (needs admin)");
    if (!(await removePerson(c.env.DB, c.req.param("email"))))
      throw new ApiError("not_found", `no person ${c.req.param("email")}`, "email");
    return c.json({ removed: c.req.param("email").toLowerCase() });
  });
}

/** 403 when `me` may not hand out `roles` (the legal role needs legal). */
function demandGrant(me: Principal, roles: readonly Role[]): void {
  const verdict = mayGrant(me, roles);
  if (!verdict.ok)
    throw new ApiError("forbidden", `${me.identity} may not grant legal: ${verdict.message}`, "body.roles");
}
