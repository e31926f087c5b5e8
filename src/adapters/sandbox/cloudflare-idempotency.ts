/**
 * Idempotency keys for the Cloudflare Sandbox adapter, which the SDK lacks: the
 * first answer to (sandbox, op, key) is stored in the R2 bucket and given to
 * every later call with the same key.
 */
import { BUCKET_PREFIX, type IndexBucket } from "./cloudflare-snapshot-index.ts";

export class IdempotencyStore {
  constructor(private readonly bucket: IndexBucket) {}

  /** Runs `fn` once per (sandbox, op, key): later calls get the stored first answer. */
  async once<T>(sandbox: string, op: string, key: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (key === undefined) return fn();
    const objectKey = `${BUCKET_PREFIX}/idempotency/${encodeURIComponent(sandbox)}/${encodeURIComponent(`${op}:${key}`)}`;
    const stored = await this.bucket.get(objectKey);
    if (stored) return JSON.parse(await stored.text()) as T;
    const value = await fn();
    await this.bucket.put(objectKey, JSON.stringify(value ?? null));
    return value;
  }
}
