/**
 * Runs D1 API queries (`/query`, `/raw`, imports) against the same SQLite
 * file a deployed Worker's `d1_databases` binding uses: a Miniflare of its own
 * per database, with the account's D1 persistence directory and the database
 * uuid as Miniflare's database id, exactly as `miniflare-options.ts` binds it
 * for a Worker. Two workerd processes share the file through SQLite's own
 * locking (WAL), as `wrangler d1 execute --local` does beside `wrangler dev`.
 *
 * A runner stays up for `idleMs` after its last query (a `migrations apply`
 * makes several calls in a row; a start costs about a second) and is closed
 * before its account's files are deleted or moved.
 */
import { Miniflare } from "miniflare";
import { d1PersistDir } from "./miniflare-options.ts";

export interface D1Statement {
  sql: string;
  params?: unknown[];
}

export interface D1StatementResult {
  results: Record<string, unknown>[];
  success: boolean;
  meta: Record<string, unknown> & { size_after?: number };
}

export type D1BatchOutcome = { ok: true; results: D1StatementResult[] } | { ok: false; error: string };

interface Runner {
  accountId: string;
  mf: Miniflare;
  db: Promise<D1Database>;
  lastUsedAt: number;
  /** queries on one database run one after another */
  queue: Promise<unknown>;
}

const RUNNER_SCRIPT = "export default { fetch() { return new Response(null, { status: 404 }); } };";

export class D1Runners {
  private readonly runners = new Map<string, Runner>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly idleMs = 30_000) {
    this.timer = setInterval(() => void this.closeIdle(), Math.min(idleMs, 5_000));
    this.timer.unref();
  }

  private runner(accountDataDir: string, accountId: string, uuid: string): Runner {
    const key = `${accountId}/${uuid}`;
    let runner = this.runners.get(key);
    if (!runner) {
      const mf = new Miniflare({
        modules: true,
        script: RUNNER_SCRIPT,
        d1Databases: { DB: uuid },
        d1Persist: d1PersistDir(accountDataDir),
        host: "127.0.0.1",
        port: 0,
        cf: false,
      });
      runner = {
        accountId,
        mf,
        db: mf.getD1Database("DB") as unknown as Promise<D1Database>,
        lastUsedAt: Date.now(),
        queue: Promise.resolve(),
      };
      this.runners.set(key, runner);
    }
    return runner;
  }

  /**
   * Runs `statements` as one batch (one transaction, as D1's API does): all
   * succeed or none is kept. SQL errors come back as `{ok: false}` with
   * D1's message (`no such table: x: SQLITE_ERROR`).
   */
  batch(
    accountDataDir: string,
    accountId: string,
    uuid: string,
    statements: D1Statement[],
  ): Promise<D1BatchOutcome> {
    const runner = this.runner(accountDataDir, accountId, uuid);
    const run = runner.queue.then(async (): Promise<D1BatchOutcome> => {
      let db: D1Database;
      try {
        db = await runner.db;
      } catch (error) {
        // a runner that did not start is dropped, so the next query starts a fresh one
        void this.close(`${accountId}/${uuid}`);
        throw error;
      }
      try {
        const prepared = statements.map((s) => db.prepare(s.sql).bind(...(s.params ?? [])));
        const results = (await db.batch(prepared)) as unknown as D1StatementResult[];
        return { ok: true, results };
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause ?? error;
        const message = cause instanceof Error ? cause.message : String(cause);
        return { ok: false, error: message.replace(/^D1_ERROR: /, "") };
      } finally {
        runner.lastUsedAt = Date.now();
      }
    });
    runner.queue = run.catch(() => undefined);
    return run;
  }

  /** The database's size in bytes now (what D1 reports as `size_after`). */
  async sizeOf(accountDataDir: string, accountId: string, uuid: string): Promise<number> {
    const probe = await this.batch(accountDataDir, accountId, uuid, [{ sql: "SELECT 1" }]);
    return probe.ok ? Number(probe.results[0]?.meta.size_after ?? 0) : 0;
  }

  private async close(key: string): Promise<void> {
    const runner = this.runners.get(key);
    if (!runner) return;
    this.runners.delete(key);
    await runner.queue;
    try {
      await runner.mf.dispose();
    } catch {
      // a runner that failed to start has nothing left to close
    }
  }

  /** Closes the runners of one account (before its data is deleted or moved). */
  async closeAccount(accountId: string): Promise<void> {
    const keys = [...this.runners.entries()].filter(([, r]) => r.accountId === accountId).map(([k]) => k);
    await Promise.all(keys.map((k) => this.close(k)));
  }

  /** Closes the runner of one database (before the database is deleted). */
  closeDatabase(accountId: string, uuid: string): Promise<void> {
    return this.close(`${accountId}/${uuid}`);
  }

  private async closeIdle(): Promise<void> {
    const cutoff = Date.now() - this.idleMs;
    const idle = [...this.runners.entries()].filter(([, r]) => r.lastUsedAt < cutoff).map(([k]) => k);
    await Promise.all(idle.map((k) => this.close(k)));
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.runners.keys()].map((k) => this.close(k)));
  }
}
