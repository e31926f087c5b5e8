/** The scheduler's watermark: the last minute schedules were evaluated for (see src/triggers/schedule.ts). */

const LAST_MINUTE = "last_minute";

export async function lastEvaluatedMinute(db: D1Database): Promise<number | null> {
  const row = await db
    .prepare(`SELECT value FROM scheduler_state WHERE key = ?1`)
    .bind(LAST_MINUTE)
    .first<{ value: number }>();
  return row?.value ?? null;
}

/** Moves the watermark forward only: an out-of-order tick never moves it back. */
export async function advanceEvaluatedMinute(db: D1Database, minute: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO scheduler_state (key, value) VALUES (?1, ?2)
       ON CONFLICT (key) DO UPDATE SET value = MAX(value, ?2)`,
    )
    .bind(LAST_MINUTE, minute)
    .run();
}
