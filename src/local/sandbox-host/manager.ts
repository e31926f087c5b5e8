/**
 * All Sandboxes of one host and the snapshot registry: get-or-create by name,
 * snapshot records (persisted, listable, pinned), garbage collection (keep the
 * newest N per Sandbox plus pinned ones, then delete layers nothing refers
 * to), background squashing of deep stacks, and start-up recovery after a
 * host that was killed (stale mounts unmounted, Sandboxes back as sleeping).
 */
import { join } from "node:path";
import { SandboxError, type SandboxNameSchema } from "../../ports/sandbox.ts";
import type { NetworkPolicy } from "./bwrap-args.ts";
import {
  needsSquash,
  newestFirst,
  type SnapshotRecord,
  snapshotsToCollect,
  unreferencedLayers,
} from "./layer-policy.ts";
import type { AfterAnswer } from "./after-answer.ts";
import type { HostLimits } from "./limits-host.ts";
import { LayerStore, newId, type SandboxMeta, type SnapshotMode } from "./layers.ts";
import { type Gateway, type NetnsTools, SandboxNetwork } from "./netns.ts";
import type { Isolation } from "./runner.ts";
import { HostedSandbox } from "./sandbox.ts";
import type { SandboxLimits, SandboxRuntime } from "./sandbox-runtime.ts";
import { squashLayers } from "./squash.ts";
import { diskUsage, mountsUnder, syncFilesystem, unmount } from "./system.ts";

type SandboxName = ReturnType<(typeof SandboxNameSchema)["parse"]>;

export interface ManagerConfig {
  stateDir: string;
  mode: SnapshotMode;
  /** Mount overlays with `volatile` (no flush on unmount); snapshots are then synced in the background. */
  volatile: boolean;
  isolation: Isolation;
  network: NetworkPolicy;
  /** Where `isolated` / `none` Sandboxes get their own network namespace; null: the host's. */
  netns: { tools: NetnsTools; gateways: readonly Gateway[] } | null;
  /** Variables every command starts with, under the caller's own. */
  baseEnv?: Readonly<Record<string, string>>;
  limits: SandboxLimits;
  publicHost: string;
  keepSnapshots: number;
  /** Where background work that starts processes waits for the answers being written. */
  afterAnswer?: AfterAnswer;
  /** Memory, process and disk limits per Sandbox (limits-host.ts); absent: none. */
  resourceLimits?: HostLimits;
}

export class SandboxManager {
  readonly store: LayerStore;
  private readonly sandboxes = new Map<string, HostedSandbox>();
  private readonly snapshots = new Map<string, SnapshotRecord>();
  private seq = 0;
  private gcRunning: Promise<void> | null = null;
  private readonly squashing = new Set<string>();
  /** Layers being written that have no snapshot record yet. */
  private readonly held = new Set<string>();
  private readonly runtime: SandboxRuntime;

  constructor(private readonly config: ManagerConfig) {
    this.store = new LayerStore(config.stateDir, config.mode, config.volatile);
    this.runtime = {
      store: this.store,
      isolation: config.isolation,
      network: (name) =>
        config.netns
          ? new SandboxNetwork(
              config.netns.tools,
              join(this.store.dirs(name).root, "netns"),
              config.network === "isolated" ? config.netns.gateways : [],
            )
          : null,
      baseEnv: config.baseEnv ?? {},
      limits: config.limits,
      publicHost: config.publicHost,
      findSnapshot: (id) => this.snapshots.get(id),
      holdLayer: (id) => {
        this.held.add(id);
        return () => this.held.delete(id);
      },
      recordSnapshot: (input, alongside) => this.recordSnapshot(input, alongside),
      defer: (fn) => (config.afterAnswer ? config.afterAnswer.defer(fn) : fn()),
      limiter: (name) => config.resourceLimits?.forSandbox(name, this.store.dirs(name).root) ?? null,
    };
  }

  async init(): Promise<void> {
    // A host killed with SIGKILL leaves its overlay mounts behind: take them down first.
    for (const point of await mountsUnder(this.config.stateDir)) await unmount(point);
    await this.store.init();
    for (const record of await this.store.readSnapshots()) {
      this.snapshots.set(record.id, record);
      this.seq = Math.max(this.seq, record.seq);
    }
    for (const meta of await this.store.readMetas()) {
      this.sandboxes.set(meta.name, new HostedSandbox(this.runtime, meta));
    }
    await this.gc();
  }

  /** Get-or-create. */
  async get(name: SandboxName): Promise<HostedSandbox> {
    const existing = this.sandboxes.get(name);
    if (existing) return existing;
    const meta: SandboxMeta = { name, createdAt: new Date().toISOString(), layers: [], snapshotId: null };
    await this.store.create(name);
    await this.store.writeMeta(meta);
    const sandbox = this.sandboxes.get(name) ?? new HostedSandbox(this.runtime, meta);
    this.sandboxes.set(name, sandbox);
    return sandbox;
  }

  peek(name: string): HostedSandbox | undefined {
    return this.sandboxes.get(name);
  }

  async destroy(name: string): Promise<void> {
    const sandbox = this.sandboxes.get(name);
    if (!sandbox) return;
    this.sandboxes.delete(name);
    await sandbox.destroy();
    void this.gc();
  }

  listSnapshots(sandbox?: string): SnapshotRecord[] {
    return [...this.snapshots.values()].filter((s) => !sandbox || s.sandbox === sandbox).sort(newestFirst);
  }

  async pin(id: string, pinned: boolean): Promise<void> {
    const record = this.snapshots.get(id);
    if (!record) throw new SandboxError("not_found", `no snapshot ${id}`);
    const next = { ...record, pinned };
    await this.store.writeSnapshot(next);
    this.snapshots.set(id, next);
    if (!pinned) void this.gc();
  }

  private async recordSnapshot(
    input: { sandbox: string; name: string | null; pinned: boolean; layers: string[] },
    alongside?: (record: SnapshotRecord) => Promise<void>,
  ): Promise<SnapshotRecord> {
    const record: SnapshotRecord = {
      id: newId("snap-"),
      sandbox: input.sandbox,
      name: input.name,
      createdAt: new Date().toISOString(),
      seq: ++this.seq,
      pinned: input.pinned,
      layers: input.layers,
      sizeBytes: null,
    };
    // Both writes finish before anything else happens, even when one of them fails.
    const written = await Promise.allSettled([this.store.writeSnapshot(record), alongside?.(record)]);
    for (const result of written) if (result.status === "rejected") throw result.reason;
    this.snapshots.set(record.id, record);
    this.runtime.defer(() => void this.afterSnapshot(record));
    return record;
  }

  /** Background work after a snapshot: measure its own layer, collect garbage, squash a deep stack. */
  private async afterSnapshot(record: SnapshotRecord): Promise<void> {
    try {
      const top = record.layers[0];
      // Volatile mounts skip the flush on unmount: make the frozen layer durable now, off the caller's path.
      if (top && this.config.volatile) await syncFilesystem(this.store.layerPath(top));
      const size = top ? await diskUsage(this.store.layerPath(top)) : 0;
      await this.update(record.id, (r) => ({ ...r, sizeBytes: size }));
      await this.gc();
      if (this.config.mode === "overlay" && needsSquash(record.layers)) {
        // The new layer may still be the upper dir of a mount on its way out: squashing mounts it.
        await this.sandboxes.get(record.sandbox)?.settled();
        await this.squash(record.id);
      }
    } catch {
      // Background maintenance: failures leave the snapshot as it is, which stays correct.
    }
  }

  private async update(id: string, fn: (r: SnapshotRecord) => SnapshotRecord): Promise<void> {
    const record = this.snapshots.get(id);
    if (!record) return;
    const next = fn(record);
    this.snapshots.set(id, next);
    await this.store.writeSnapshot(next);
  }

  /** Replaces a snapshot's stack by one squashed layer holding the same files. */
  async squash(id: string): Promise<void> {
    const record = this.snapshots.get(id);
    if (!record || this.squashing.has(id)) return;
    this.squashing.add(id);
    const layer = newId("s");
    const old = [...record.layers];
    const hold = [layer, ...old];
    for (const l of hold) this.held.add(l);
    try {
      await squashLayers(
        old.map((l) => this.store.layerPath(l)),
        this.store.layerPath(layer),
        join(this.store.trashDir, newId("m")),
      );
      await this.update(id, (r) => ({ ...r, layers: [layer] }));
      for (const sandbox of this.sandboxes.values()) sandbox.replaceStack(old, [layer]);
    } finally {
      this.squashing.delete(id);
      for (const l of hold) this.held.delete(l);
    }
    await this.gc();
  }

  /** Drops old unpinned snapshots, then layers nothing refers to. Runs one at a time. */
  gc(): Promise<void> {
    this.gcRunning ??= (async () => {
      try {
        for (const id of snapshotsToCollect([...this.snapshots.values()], this.config.keepSnapshots)) {
          this.snapshots.delete(id);
          await this.store.deleteSnapshot(id);
        }
        const garbage = unreferencedLayers({
          layers: await this.store.listLayers(),
          snapshots: [...this.snapshots.values()],
          sandboxStacks: [...this.sandboxes.values()].map((s) => s.referencedLayers()),
          keep: [...this.held],
        });
        for (const layer of garbage) await this.store.trash(this.store.layerPath(layer));
      } finally {
        this.gcRunning = null;
      }
    })();
    return this.gcRunning;
  }

  /** Stops every Sandbox's processes and unmounts their workspaces; files and snapshots stay. */
  async close(): Promise<void> {
    await Promise.all([...this.sandboxes.values()].map((s) => s.sleep().catch(() => undefined)));
    for (const point of await mountsUnder(this.config.stateDir)) await unmount(point);
  }
}
