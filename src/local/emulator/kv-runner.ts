/**
 * KV key commands from the API side (`wrangler kv key|bulk … --remote`), on the same stored
 * namespaces a deployed Worker's `kv_namespace` binding uses: a runner per namespace
 * (data-runners.ts) with the account's KV persistence directory and the namespace id, exactly as
 * `miniflare-options.ts` binds it for a Worker.
 */
import { posix } from "node:path";
import { DataRunners } from "./data-runners.ts";

export class KvRunners {
  private readonly runners: DataRunners;

  constructor(idleMs = 30_000) {
    this.runners = new DataRunners(idleMs);
  }

  /** Runs `fn` with namespace `namespaceId` of the account whose data lives in `accountDataDir`. */
  with<T>(
    accountDataDir: string,
    accountId: string,
    namespaceId: string,
    fn: (kv: KVNamespace) => Promise<T>,
  ): Promise<T> {
    const options = () => ({
      kvNamespaces: { KV: namespaceId },
      kvPersist: posix.join(accountDataDir, "kv"),
    });
    return this.runners.use(`${accountId}/${namespaceId}`, accountId, options, async (mf) =>
      fn((await mf.getKVNamespace("KV")) as unknown as KVNamespace),
    );
  }

  /** Closes the runners of one account (before its data is deleted or moved). */
  closeAccount(accountId: string): Promise<void> {
    return this.runners.closeAccount(accountId);
  }

  /** Closes the runner of one namespace (before the namespace is deleted). */
  closeNamespace(accountId: string, namespaceId: string): Promise<void> {
    return this.runners.close(`${accountId}/${namespaceId}`);
  }

  closeAll(): Promise<void> {
    return this.runners.closeAll();
  }
}
