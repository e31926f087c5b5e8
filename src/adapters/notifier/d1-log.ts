/**
 * The outbound notification log: one row per idempotency key, so a retried
 * step or a replay sends a notification once, and an undelivered one stays
 * visible (`delivered_at IS NULL`, with its last error).
 */
import type { NotificationLog } from "./webhook.ts";

export function d1NotificationLog(db: D1Database): NotificationLog {
  return {
    async begin(entry) {
      await db
        .prepare(
          `INSERT INTO notifications (key, run_id, kind, body_json, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
           ON CONFLICT (key) DO NOTHING`,
        )
        .bind(entry.key, entry.runId, entry.kind, JSON.stringify(entry.body), entry.at)
        .run();
      const row = await db
        .prepare(`SELECT delivered_at FROM notifications WHERE key = ?1`)
        .bind(entry.key)
        .first<{ delivered_at: number | null }>();
      return row?.delivered_at ? "delivered" : "open";
    },
    async attempted(key, outcome) {
      await db
        .prepare(
          `UPDATE notifications SET attempts = attempts + 1, last_error = ?2,
             delivered_at = CASE WHEN ?2 IS NULL THEN ?3 ELSE delivered_at END
           WHERE key = ?1`,
        )
        .bind(key, outcome.error, outcome.at)
        .run();
    },
  };
}
