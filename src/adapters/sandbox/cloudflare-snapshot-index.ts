/**
 * The Cloudflare Sandbox adapter's snapshot list: one JSON object per snapshot
 * in an R2 bucket (the backups themselves live in R2 too, expiring by TTL),
 * garbage-collected to the newest N per Sandbox plus the pinned ones.
 */
import { type SnapshotInfo, SnapshotInfoSchema } from "../../ports/sandbox.ts";

/** The part of an R2 bucket used for the snapshot list and idempotency records. */
export interface IndexBucket {
  put(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<{ text(): Promise<string> } | null>;
  delete(key: string): Promise<void>;
  list(options: {
    prefix: string;
    cursor?: string;
  }): Promise<{ objects: { key: string }[]; truncated: boolean; cursor?: string }>;
}

/** Where the adapter keeps its objects in the bucket (snapshot list, idempotency records). */
export const BUCKET_PREFIX = "nightshift/sandbox";
const snapshotKey = (id: string) => `${BUCKET_PREFIX}/snapshots/${encodeURIComponent(id)}.json`;

export class SnapshotIndex {
  constructor(private readonly bucket: IndexBucket) {}

  async all(): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({
        prefix: `${BUCKET_PREFIX}/snapshots/`,
        ...(cursor ? { cursor } : {}),
      });
      for (const { key } of page.objects) {
        const object = await this.bucket.get(key);
        const parsed = object ? SnapshotInfoSchema.safeParse(JSON.parse(await object.text())) : null;
        if (parsed?.success) out.push(parsed.data);
      }
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async get(id: string): Promise<SnapshotInfo | null> {
    const object = await this.bucket.get(snapshotKey(id));
    if (!object) return null;
    const parsed = SnapshotInfoSchema.safeParse(JSON.parse(await object.text()));
    return parsed.success ? parsed.data : null;
  }

  put(info: SnapshotInfo): Promise<unknown> {
    return this.bucket.put(snapshotKey(info.id), JSON.stringify(info));
  }

  /** Keep the newest `keep` of one Sandbox plus pinned ones; drop the other index entries. */
  async collect(sandbox: string, keep: number): Promise<void> {
    const mine = (await this.all()).filter((s) => s.sandbox === sandbox);
    for (const s of mine.slice(keep)) if (!s.pinned) await this.bucket.delete(snapshotKey(s.id));
  }
}
