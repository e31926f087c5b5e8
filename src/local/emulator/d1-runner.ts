/**
 * Runs D1 API queries (`/query`, imports) against the same SQLite file a deployed Worker's
 * `d1_databases` binding uses: a runner of its own per database (data-runners.ts), with the
 * account's D1 persistence directory and the database uuid as Miniflare's database id, exactly
 * as `miniflare-options.ts` binds it for a Worker.
 */
import { DataRunners } from "./data-runners.ts";
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

/** D1 queries from the API side, one runner per database (data-runners.ts). */
export class D1Runners {
  private readonly runners: DataRunners;

  constructor(idleMs = 30_000) {
    this.runners = new DataRunners(idleMs);
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
    const options = () => ({ d1Databases: { DB: uuid }, d1Persist: d1PersistDir(accountDataDir) });
    return this.runners.use(`${accountId}/${uuid}`, accountId, options, async (mf) => {
      const db = (await mf.getD1Database("DB")) as unknown as D1Database;
      try {
        const prepared = statements.map((s) => db.prepare(s.sql).bind(...(s.params ?? [])));
        const results = (await db.batch(prepared)) as unknown as D1StatementResult[];
        return { ok: true, results } as const;
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause ?? error;
        const message = cause instanceof Error ? cause.message : String(cause);
        return { ok: false, error: message.replace(/^D1_ERROR: /, "") } as const;
      }
    });
  }

  /** The database's size in bytes now (what D1 reports as `size_after`). */
  async sizeOf(accountDataDir: string, accountId: string, uuid: string): Promise<number> {
    const probe = await this.batch(accountDataDir, accountId, uuid, [{ sql: "SELECT 1" }]);
    return probe.ok ? Number(probe.results[0]?.meta.size_after ?? 0) : 0;
  }

  /** Closes the runners of one account (before its data is deleted or moved). */
  closeAccount(accountId: string): Promise<void> {
    return this.runners.closeAccount(accountId);
  }

  /** Closes the runner of one database (before the database is deleted). */
  closeDatabase(accountId: string, uuid: string): Promise<void> {
    return this.runners.close(`${accountId}/${uuid}`);
  }

  closeAll(): Promise<void> {
    return this.runners.closeAll();
  }
}
