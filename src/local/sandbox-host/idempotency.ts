/**
 * Idempotency keys for the host's mutating calls: the first successful answer
 * to (Sandbox, operation, key) is stored on disk and replayed for every retry,
 * so a Workflow step that retries a snapshot gets the same snapshot id, even
 * across a host restart. Failed calls are not stored (a retry runs them again).
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

export class IdempotencyStore {
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(private readonly dir: string) {}

  private file(scope: string, op: string, key: string): string {
    const hash = createHash("sha256").update(`${scope}\0${op}\0${key}`).digest("hex").slice(0, 40);
    return join(this.dir, `${hash}.json`);
  }

  /** Runs `fn` once per key; concurrent calls with the same key share one run. */
  async once<T>(scope: string, op: string, key: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (key === undefined) return fn();
    const file = this.file(scope, op, key);
    const running = this.inflight.get(file);
    if (running) return running as Promise<T>;
    const work = (async () => {
      try {
        return JSON.parse(await readFile(file, "utf8")) as { value: T }["value"];
      } catch {
        const value = await fn();
        await mkdir(this.dir, { recursive: true });
        await writeFile(`${file}.tmp`, JSON.stringify(value ?? null));
        await rename(`${file}.tmp`, file);
        return value;
      }
    })();
    this.inflight.set(file, work);
    try {
      return await work;
    } finally {
      this.inflight.delete(file);
    }
  }
}
