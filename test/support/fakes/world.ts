/**
 * The fakes' world, kept in D1 so it survives a `wrangler dev` restart like
 * real infrastructure would: files and snapshots of fake Sandboxes, temporary
 * accounts, a log of every completed effect, and scripted transient faults.
 * A run's script comes from its input: `{ fake: FakeScript }`.
 */
import { SandboxError } from "../../../src/ports/sandbox.ts";

export interface FakeScript {
  /** Agent rounds up to this one leave a bug the verifier catches. */
  buggyRounds?: number;
  /** Step name → how many attempts throw a transient fault before one succeeds. */
  transient?: Record<string, number>;
  /** Like `transient`, but the fault is the Sandbox host not answering (`unavailable`): an outage. */
  outages?: Record<string, number>;
  /** Step name → an expected deploy failure code. */
  deployFailures?: Record<string, string>;
  /** Lifetime of the 1st, 2nd… temporary account; default 60 minutes. */
  accountLifetimesMs?: number[];
  tokensPerRound?: number;
  costPerRound?: number;
  /** The first N promotions find the account not claimed yet (`pending`): the run looks again. */
  claimPendingChecks?: number;
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
  `CREATE TABLE IF NOT EXISTS fake_versions (account_id TEXT, worker TEXT, version_id TEXT, PRIMARY KEY (account_id, worker))`,
  `CREATE TABLE IF NOT EXISTS fake_claims (account_id TEXT PRIMARY KEY, at INTEGER)`,
];

export class FakeWorld {
  private ready: Promise<void> | null = null;
  constructor(readonly db: D1Database) {}

  init(): Promise<void> {
    this.ready ??= this.db.batch(SCHEMA.map((sql) => this.db.prepare(sql))).then(() => undefined);
    return this.ready;
  }

  /** The version a deploy made live in the fake Cloudflare account. */
  async setLiveVersion(accountId: string, worker: string, versionId: string): Promise<void> {
    await this.init();
    await this.db
      .prepare(
        `INSERT INTO fake_versions (account_id, worker, version_id) VALUES (?1, ?2, ?3)
         ON CONFLICT (account_id, worker) DO UPDATE SET version_id = excluded.version_id`,
      )
      .bind(accountId, worker, versionId)
      .run();
  }

  async liveVersion(accountId: string, worker: string): Promise<string | null> {
    await this.init();
    const row = await this.db
      .prepare(`SELECT version_id FROM fake_versions WHERE account_id = ?1 AND worker = ?2`)
      .bind(accountId, worker)
      .first<{ version_id: string }>();
    return row?.version_id ?? null;
  }

  /** Someone used the account's claim URL at `at` (ms). */
  async claim(accountId: string, at: number): Promise<void> {
    await this.init();
    await this.db
      .prepare(`INSERT INTO fake_claims (account_id, at) VALUES (?1, ?2) ON CONFLICT DO NOTHING`)
      .bind(accountId, at)
      .run();
  }

  async claimedAt(accountId: string): Promise<number | null> {
    await this.init();
    const row = await this.db
      .prepare(`SELECT at FROM fake_claims WHERE account_id = ?1`)
      .bind(accountId)
      .first<{ at: number }>();
    return row?.at ?? null;
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
    const script = await this.script(runId);
    const outage = script.outages?.[step] ?? 0;
    const limit = outage || (script.transient?.[step] ?? 0);
    if (limit === 0) return;
    const row = await this.db
      .prepare(
        `INSERT INTO fake_attempts (key, n) VALUES (?1, 1) ON CONFLICT (key) DO UPDATE SET n = n + 1 RETURNING n`,
      )
      .bind(key)
      .first<{ n: number }>();
    if ((row?.n ?? 0) > limit) return;
    if (outage)
      throw new SandboxError("unavailable", `Sandbox host unreachable (scripted, ${step} attempt ${row?.n})`);
    throw new Error(`scripted transient fault in ${step} (attempt ${row?.n})`);
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
