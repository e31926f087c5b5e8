/** Legal sign-offs: who accepted which terms, for which Cloudflare API, and when. */
import { parseRows, type SignoffRow, signoffRow } from "./rows.ts";

export interface NewSignoff {
  id: string;
  apiBase: string;
  termsUrl: string;
  privacyUrl: string;
  signedBy: string;
  signedAt: number;
  automatic: boolean;
  note?: string;
}

export async function recordSignoff(db: D1Database, s: NewSignoff): Promise<void> {
  await db
    .prepare(
      `INSERT INTO signoffs (id, kind, api_base, terms_url, privacy_url, signed_by, signed_at, automatic, note)
       VALUES (?1, 'tos', ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING`,
    )
    .bind(
      s.id,
      s.apiBase,
      s.termsUrl,
      s.privacyUrl,
      s.signedBy,
      s.signedAt,
      s.automatic ? 1 : 0,
      s.note ?? null,
    )
    .run();
}

export async function findSignoff(db: D1Database, apiBase: string): Promise<SignoffRow | null> {
  const row = await db
    .prepare(`SELECT * FROM signoffs WHERE kind = 'tos' AND api_base = ?1 ORDER BY signed_at DESC LIMIT 1`)
    .bind(apiBase)
    .first();
  return row ? signoffRow.parse(row) : null;
}

export async function listSignoffs(db: D1Database): Promise<SignoffRow[]> {
  const { results } = await db.prepare(`SELECT * FROM signoffs ORDER BY signed_at DESC`).all();
  return parseRows(signoffRow, results);
}

/**
 * The legal sign-off given at a run's own `tos` gate: an approved gate whose
 * shown terms were for `apiBase` (approving it is a legal act by a person with
 * the legal role; who, when and which terms URLs are on the gate row).
 */
export async function findGateSignoff(
  db: D1Database,
  runId: string,
  apiBase: string,
): Promise<{ gateId: string; decidedBy: string; decidedAt: number } | null> {
  const row = await db
    .prepare(
      `SELECT id, decided_by, decided_at FROM gates
       WHERE run_id = ?1 AND kind = 'tos' AND status = 'approved' AND json_extract(shown_json, '$.apiBase') = ?2
       ORDER BY seq DESC LIMIT 1`,
    )
    .bind(runId, apiBase)
    .first<{ id: string; decided_by: string | null; decided_at: number | null }>();
  return row
    ? { gateId: row.id, decidedBy: row.decided_by ?? "unknown", decidedAt: row.decided_at ?? 0 }
    : null;
}
