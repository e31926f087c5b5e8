/**
 * Miniflares of the emulator's own that reach an account's stored data from the API side (D1
 * queries, KV key commands), over the same persistence directories and ids a deployed Worker's
 * bindings use, so both see the same data. Two workerd processes share the files through
 * SQLite's own locking, as `wrangler d1 execute --local` or `kv key put --local` do beside
 * `wrangler dev`.
 *
 * A runner stays up for `idleMs` after its last use (a `migrations apply` or a bulk put makes
 * several calls in a row; a start costs about a second), its uses run one after another, and it
 * is closed before its account's files are deleted or moved. One that fails to start is dropped,
 * so the next use starts a fresh one.
 */
import { Miniflare, type MiniflareOptions } from "miniflare";

interface Runner {
  accountId: string;
  mf: Miniflare;
  ready: Promise<unknown>;
  lastUsedAt: number;
  queue: Promise<unknown>;
}

const RUNNER_SCRIPT = "export default { fetch() { return new Response(null, { status: 404 }); } };";

export class DataRunners {
  private readonly runners = new Map<string, Runner>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly idleMs = 30_000) {
    this.timer = setInterval(() => void this.closeIdle(), Math.min(idleMs, 5_000));
    this.timer.unref();
  }

  /**
   * Runs `fn` with the runner `key` of `accountId` (started from `options` — bindings and
   * persistence — if it is not running), after the runner's earlier uses.
   */
  use<T>(
    key: string,
    accountId: string,
    options: () => Partial<MiniflareOptions>,
    fn: (mf: Miniflare) => Promise<T>,
  ): Promise<T> {
    let runner = this.runners.get(key);
    if (!runner) {
      const mf = new Miniflare({
        modules: true,
        script: RUNNER_SCRIPT,
        host: "127.0.0.1",
        port: 0,
        cf: false,
        ...options(),
      } as MiniflareOptions);
      runner = { accountId, mf, ready: mf.ready, lastUsedAt: Date.now(), queue: Promise.resolve() };
      this.runners.set(key, runner);
    }
    const current = runner;
    const run = current.queue.then(async () => {
      try {
        await current.ready;
      } catch (error) {
        void this.close(key);
        throw error;
      }
      try {
        return await fn(current.mf);
      } finally {
        current.lastUsedAt = Date.now();
      }
    });
    current.queue = run.catch(() => undefined);
    return run;
  }

  async close(key: string): Promise<void> {
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
