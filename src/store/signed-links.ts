/**
 * Signed-link rows: the HMAC (see `src/gates/signed-links.ts`) proves a link was
 * issued here; the row makes it single-use. `useLink` flips `used_at` with a
 * conditional update, so two clicks on one link decide at most once.
 */
import { z } from "zod";

export const linkRow = z.object({
  id: z.string(),
  gate_id: z.string(),
  run_id: z.string(),
  issued_to: z.string(),
  issued_by: z.string(),
  created_at: z.number(),
  expires_at: z.number(),
  used_at: z.number().nullable(),
  used_decision: z.string().nullable(),
});
export type LinkRow = z.output<typeof linkRow>;

export async function insertLink(
  db: D1Database,
  link: Omit<LinkRow, "used_at" | "used_decision">,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO signed_links (id, gate_id, run_id, issued_to, issued_by, created_at, expires_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
    )
    .bind(
      link.id,
      link.gate_id,
      link.run_id,
      link.issued_to,
      link.issued_by,
      link.created_at,
      link.expires_at,
    )
    .run();
}

export async function getLink(db: D1Database, id: string): Promise<LinkRow | null> {
  const row = await db.prepare(`SELECT * FROM signed_links WHERE id = ?1`).bind(id).first();
  return row ? linkRow.parse(row) : null;
}

/** Marks the link used; false when it was used already (the caller answers 410). */
export async function useLink(db: D1Database, id: string, decision: string, at: number): Promise<boolean> {
  const result = await db
    .prepare(`UPDATE signed_links SET used_at = ?2, used_decision = ?3 WHERE id = ?1 AND used_at IS NULL`)
    .bind(id, at, decision)
    .run();
  return result.meta.changes === 1;
}

/** Gives a link back when the decision it was used for did not go through (e.g. a 409). */
export async function releaseLink(db: D1Database, id: string): Promise<void> {
  await db
    .prepare(`UPDATE signed_links SET used_at = NULL, used_decision = NULL WHERE id = ?1`)
    .bind(id)
    .run();
}
