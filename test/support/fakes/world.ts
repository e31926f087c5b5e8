/**
 * The fakes' world, kept in D1 so it survives a `wrangler dev` restart like
 * real infrastructure would: files and snapshots of fake Sandboxes, temporary
 * accounts, a log of every completed effect, and scripted transient faults.
 * A run's script comes from its input: `{ fake: FakeScript }`.
 */

export interface FakeScript {
  /** Agent rounds up to this one leave a bug the verifier catches. */
  buggyRounds?: number;
  /** Step name → how many attempts throw a transient fault before one succeeds. */
  transient?: Record<string, number>;
  /** Step name → an expected deploy failure code. */
  deployFailures?: Record<string, string>;
  /** Lifetime of the 1st, 2nd… temporary account; default 60 minutes. */
  accountLifetimesMs?: number[];
  tokensPerRound?: number;
  costPerRound?: number;
  /** The agent's write takes this long (ms), to hold a run inside a step. */
  writeDelayMs?: number;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS fake_files (sandbox TEXT, path TEXT, content TEXT, PRIMARY KEY (sandbox, path))`,
  `CREATE TABLE IF NOT EXISTS fake_snapshots (id TEXT PRIMARY KEY, sandbox TEXT, files_json TEXT)`,
  `CREATE TABLE IF NOT EXISTS fake_marker (sandbox TEXT PRIMARY KEY, snapshot_id TEXT)`,
  `CREATE TABLE IF NOT EXISTS fake_calls (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, key TEXT, kind TEXT, at INTEGER)`,
  `CREATE TABLE IF NOT EXISTS fake_attempts (key TEXT PRIMARY KEY, n INTEGER)`,
  `CREATE TABLE IF NOT EXISTS fake_accounts (id TEXT PRIMARY KEY, run_id TEXT, n INTEGER, expires_at INTEGER)`,
];

export class FakeWorld {
  private ready: Promise<void> | null = null;
  constructor(readonly db: D1Database) {}

  init(): Promise<void> {
    this.ready ??= this.db.batch(SCHEMA.map((sql) => this.db.prepare(sql))).then(() => undefined);
    return this.ready;
  }

  async script(runId: string): Promise<FakeScript> {
    await this.init();
    const row = await this.db
      .prepare(`SELECT input_json FROM runs WHERE id = ?1`)
      .bind(runId)
      .first<{ input_json: string }>();
    const input = row ? (JSON.parse(row.input_json) as { fake?: FakeScript }) : {};
    return input.fake ?? {};
  }

  /** Throws a scripted transient fault for this step's first N attempts. */
  async maybeFail(runId: string, key: string): Promise<void> {
    const step = key.slice(runId.length + 1);
    const limit = (await this.script(runId)).transient?.[step] ?? 0;
    if (limit === 0) return;
    const row = await this.db
      .prepare(
        `INSERT INTO fake_attempts (key, n) VALUES (?1, 1) ON CONFLICT (key) DO UPDATE SET n = n + 1 RETURNING n`,
      )
      .bind(key)
      .first<{ n: number }>();
    if ((row?.n ?? 0) <= limit) throw new Error(`scripted transient fault in ${step} (attempt ${row?.n})`);
  }

  async record(runId: string, key: string, kind: string): Promise<void> {
    await this.init();
    await this.db
      .prepare(`INSERT INTO fake_calls (run_id, key, kind, at) VALUES (?1, ?2, ?3, ?4)`)
      .bind(runId, key, kind, Date.now())
      .run();
  }
}

/** Every completed effect of a run, in order: what tests assert "ran once" against. */
export async function fakeCalls(
  db: D1Database,
  runId: string,
): Promise<Array<{ key: string; kind: string }>> {
  await new FakeWorld(db).init();
  const { results } = await db
    .prepare(`SELECT key, kind FROM fake_calls WHERE run_id = ?1 ORDER BY seq`)
    .bind(runId)
    .all<{ key: string; kind: string }>();
  return results;
}
