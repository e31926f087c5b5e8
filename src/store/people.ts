/**
 * People and their credentials in D1: personal API tokens (only their hash is
 * stored) and the roles of people who sign in through Cloudflare Access.
 * Checking what a role may do lives in `src/web/roles.ts`, not here.
 */
import { invariantBroken } from "../ports/invariant.ts";
import { z } from "zod";
import { parseRows } from "./rows.ts";

/** The roles a person or token may hold (what each may do: `src/web/roles.ts`). */
export const ROLES = ["viewer", "approver", "admin", "legal"] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

const roles = z
  .string()
  .transform((text) => JSON.parse(text) as unknown)
  .pipe(z.array(roleSchema));

export const tokenRow = z.object({
  id: z.string(),
  hash: z.string(),
  identity: z.string(),
  roles_json: roles,
  label: z.string().nullable(),
  created_by: z.string(),
  created_at: z.number(),
  expires_at: z.number().nullable(),
  revoked_at: z.number().nullable(),
  revoked_by: z.string().nullable(),
  last_used_at: z.number().nullable(),
});
export type TokenRow = z.output<typeof tokenRow>;

export const personRow = z.object({
  email: z.string(),
  roles_json: roles,
  updated_by: z.string(),
  updated_at: z.number(),
});
export type PersonRow = z.output<typeof personRow>;

/** SHA-256 of a token secret, as stored (`sha256:<hex>`). */
export async function hashSecret(secret: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return `sha256:${[...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function randomString(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...buf))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replaceAll("=", "");
}

export interface NewToken {
  identity: string;
  roles: Role[];
  label: string | null;
  createdBy: string;
  at: number;
  expiresAt: number | null;
}

/** Creates a token and returns its row and its secret: the only time the secret exists in the clear. */
export async function createToken(
  db: D1Database,
  token: NewToken,
): Promise<{ row: TokenRow; secret: string }> {
  const id = `tok_${randomString(9)}`;
  const secret = `nst_${randomString(32)}`;
  await db
    .prepare(
      `INSERT INTO api_tokens (id, hash, identity, roles_json, label, created_by, created_at, expires_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
    )
    .bind(
      id,
      await hashSecret(secret),
      token.identity,
      JSON.stringify(token.roles),
      token.label,
      token.createdBy,
      token.at,
      token.expiresAt,
    )
    .run();
  const row = await getToken(db, id);
  if (!row) invariantBroken(`token ${id} vanished after insert`);
  return { row, secret };
}

export async function getToken(db: D1Database, id: string): Promise<TokenRow | null> {
  const row = await db.prepare(`SELECT * FROM api_tokens WHERE id = ?1`).bind(id).first();
  return row ? tokenRow.parse(row) : null;
}

/** The live (not revoked, not expired) token with this secret, if any; records its use. */
export async function findLiveToken(db: D1Database, secret: string, now: number): Promise<TokenRow | null> {
  const row = await db
    .prepare(
      `SELECT * FROM api_tokens WHERE hash = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)`,
    )
    .bind(await hashSecret(secret), now)
    .first();
  if (!row) return null;
  const token = tokenRow.parse(row);
  await db.prepare(`UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1`).bind(token.id, now).run();
  return token;
}

export async function listTokens(db: D1Database): Promise<TokenRow[]> {
  const { results } = await db.prepare(`SELECT * FROM api_tokens ORDER BY created_at DESC`).all();
  return parseRows(tokenRow, results);
}

/** Revokes once; false when there is no such live token. */
export async function revokeToken(db: D1Database, id: string, by: string, at: number): Promise<boolean> {
  const result = await db
    .prepare(`UPDATE api_tokens SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1 AND revoked_at IS NULL`)
    .bind(id, at, by)
    .run();
  return result.meta.changes === 1;
}

export async function getPerson(db: D1Database, email: string): Promise<PersonRow | null> {
  const row = await db.prepare(`SELECT * FROM people WHERE email = ?1`).bind(email.toLowerCase()).first();
  return row ? personRow.parse(row) : null;
}

export async function listPeople(db: D1Database): Promise<PersonRow[]> {
  const { results } = await db.prepare(`SELECT * FROM people ORDER BY email`).all();
  return parseRows(personRow, results);
}

export async function setPerson(
  db: D1Database,
  person: { email: string; roles: Role[]; by: string; at: number },
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO people (email, roles_json, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (email) DO UPDATE SET roles_json = excluded.roles_json, updated_by = excluded.updated_by,
         updated_at = excluded.updated_at`,
    )
    .bind(person.email.toLowerCase(), JSON.stringify(person.roles), person.by, person.at)
    .run();
}

export async function removePerson(db: D1Database, email: string): Promise<boolean> {
  const result = await db.prepare(`DELETE FROM people WHERE email = ?1`).bind(email.toLowerCase()).run();
  return result.meta.changes === 1;
}
