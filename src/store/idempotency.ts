/**
 * Idempotency records: an adapter that creates something records the key and
 * its result before returning, and returns the recorded result when the key
 * comes again (a retried step must not create twice).
 */

export async function recallIdempotent<T>(db: D1Database, key: string): Promise<T | null> {
  const row = await db
    .prepare(`SELECT result_json FROM idempotency WHERE key = ?1`)
    .bind(key)
    .first<{ result_json: string }>();
  return row ? (JSON.parse(row.result_json) as T) : null;
}

export async function rememberIdempotent(
  db: D1Database,
  key: string,
  scope: string,
  result: unknown,
  at: number,
) {
  await db
    .prepare(
      `INSERT INTO idempotency (key, scope, result_json, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO NOTHING`,
    )
    .bind(key, scope, JSON.stringify(result), at)
    .run();
}

/** Runs `create` once per key; later calls with the same key get the first result. */
export async function once<T>(
  db: D1Database,
  key: string,
  scope: string,
  at: number,
  create: () => Promise<T>,
): Promise<T> {
  const known = await recallIdempotent<T>(db, key);
  if (known !== null) return known;
  const result = await create();
  await rememberIdempotent(db, key, scope, result, at);
  return (await recallIdempotent<T>(db, key)) ?? result;
}

/** A journal over the idempotency table for one scope: what an adapter gets to remember its calls by. */
export function idempotencyJournal(db: D1Database, scope: string, now: () => number) {
  return {
    recall: (key: string) => recallIdempotent<unknown>(db, key),
    remember: (key: string, value: unknown) => rememberIdempotent(db, key, scope, value, now()),
  };
}
