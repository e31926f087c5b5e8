/**
 * Temporary accounts' secrets as the orchestrator holds them (issue 15): the API token and the
 * claim URL the egress proxy captured from the provisioning answer. Only the deployer (to lend
 * the token to a deploy step through a grant, and to read the live version) and the claim gate
 * read them; nothing here goes into a step result, an event, an artifact or a log.
 */
import type { HeldAccount } from "../ports/deployer.ts";

interface Row {
  account_id: string;
  name: string;
  api_token: string;
  claim_url: string;
  expires_at: number;
  claim_expires_at: number;
}

const held = (row: Row): HeldAccount => ({
  id: row.account_id,
  name: row.name,
  apiToken: row.api_token,
  claimUrl: row.claim_url,
  expiresAt: row.expires_at,
  claimExpiresAt: row.claim_expires_at,
});

/** Keeps an account for a run; the same account again replaces what was held for it. */
export async function holdAccount(
  db: D1Database,
  runId: string,
  account: HeldAccount,
  at: number,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO temporary_account_secrets
         (account_id, run_id, name, api_token, claim_url, expires_at, claim_expires_at, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
       ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, api_token = excluded.api_token,
         claim_url = excluded.claim_url, expires_at = excluded.expires_at,
         claim_expires_at = excluded.claim_expires_at
       WHERE temporary_account_secrets.run_id = excluded.run_id`,
    )
    .bind(
      account.id,
      runId,
      account.name,
      account.apiToken,
      account.claimUrl,
      account.expiresAt,
      account.claimExpiresAt,
      at,
    )
    .run();
}

/** The run's newest account, or null. */
export async function heldAccountOf(db: D1Database, runId: string): Promise<HeldAccount | null> {
  const row = await db
    .prepare(
      `SELECT * FROM temporary_account_secrets WHERE run_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 1`,
    )
    .bind(runId)
    .first<Row>();
  return row ? held(row) : null;
}

/** The token of one of the run's accounts (never another run's), or null. */
export async function heldToken(db: D1Database, runId: string, accountId: string): Promise<string | null> {
  const row = await db
    .prepare(`SELECT api_token FROM temporary_account_secrets WHERE run_id = ?1 AND account_id = ?2`)
    .bind(runId, accountId)
    .first<{ api_token: string }>();
  return row?.api_token ?? null;
}
