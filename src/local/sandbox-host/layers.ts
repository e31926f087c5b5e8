/**
 * Where snapshots live on disk, and how a Sandbox's workspace is built from
 * them. Two modes, chosen once at start-up:
 *
 * - overlay: the workspace is an overlayfs mount (in the host's mount
 *   namespace, bound into bwrap as /workspace) of a writable upper dir over
 *   read-only layers. Snapshot = unmount, rename the upper dir into a layer,
 *   mount a fresh upper over [new layer, ...old layers]. Restore = mount a
 *   fresh upper over the snapshot's layers. Renames and one mount: constant
 *   time whatever the size of node_modules.
 * - copy: the fallback where overlay mounts are refused. The workspace is a
 *   plain directory; snapshot and restore copy the whole tree (cost grows
 *   with the workspace).
 *
 * Layout under the state dir:
 *   layers/<id>/            immutable layers
 *   snapshots/<id>.json     SnapshotRecord
 *   sandboxes/<name>/       meta.json, ws/ (the workspace), upper/, work/, home/, tmp/
 *   trash/                  renamed here first, deleted in the background
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SnapshotRecord } from "./layer-policy.ts";
import { copyTree, isMountPoint, mountOverlay, unmount } from "./system.ts";

export type SnapshotMode = "overlay" | "copy";

/** Persisted per Sandbox: its layer stack and the snapshot marker. */
export interface SandboxMeta {
  name: string;
  createdAt: string;
  /** Read-only layers under the writable one, top first. */
  layers: string[];
  /** The snapshot the workspace equals, or null once anything may have changed it. */
  snapshotId: string | null;
}

export interface SandboxDirs {
  root: string;
  ws: string;
  upper: string;
  work: string;
  home: string;
  tmp: string;
  meta: string;
}

export const EMPTY_LAYER = "empty";

export function newId(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2));
  await rename(tmp, path);
}

export class LayerStore {
  readonly layersDir: string;
  readonly snapshotsDir: string;
  readonly sandboxesDir: string;
  readonly trashDir: string;

  constructor(
    readonly stateDir: string,
    readonly mode: SnapshotMode,
    private readonly volatile = false,
  ) {
    // Short names: every lower layer's path goes into one page of mount options.
    this.layersDir = join(stateDir, "l");
    this.snapshotsDir = join(stateDir, "snapshots");
    this.sandboxesDir = join(stateDir, "sandboxes");
    this.trashDir = join(stateDir, "trash");
  }

  async init(): Promise<void> {
    for (const dir of [this.layersDir, this.snapshotsDir, this.sandboxesDir])
      await mkdir(dir, { recursive: true });
    await rm(this.trashDir, { recursive: true, force: true });
    await mkdir(this.trashDir, { recursive: true });
    await mkdir(this.layerPath(EMPTY_LAYER), { recursive: true });
  }

  layerPath(id: string): string {
    return join(this.layersDir, id);
  }

  dirs(name: string): SandboxDirs {
    const root = join(this.sandboxesDir, name);
    return {
      root,
      ws: join(root, "ws"),
      upper: join(root, "upper"),
      work: join(root, "work"),
      home: join(root, "home"),
      tmp: join(root, "tmp"),
      meta: join(root, "meta.json"),
    };
  }

  /** Moves a path out of the way at once; deletes it in the background. */
  async trash(path: string): Promise<void> {
    const target = join(this.trashDir, newId("t"));
    try {
      await rename(path, target);
    } catch {
      return;
    }
    void rm(target, { recursive: true, force: true }).catch(() => undefined);
  }

  // ------------------------------------------------------------ records

  async readSnapshots(): Promise<SnapshotRecord[]> {
    const out: SnapshotRecord[] = [];
    for (const file of await readdir(this.snapshotsDir)) {
      if (!file.endsWith(".json")) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.snapshotsDir, file), "utf8")) as SnapshotRecord);
      } catch {
        // A half-written record cannot exist (atomic rename); anything unreadable is ignored.
      }
    }
    return out;
  }

  writeSnapshot(record: SnapshotRecord): Promise<void> {
    return writeJsonAtomic(join(this.snapshotsDir, `${record.id}.json`), record);
  }

  async deleteSnapshot(id: string): Promise<void> {
    await rm(join(this.snapshotsDir, `${id}.json`), { force: true });
  }

  async listLayers(): Promise<string[]> {
    return (await readdir(this.layersDir)).filter((l) => l !== EMPTY_LAYER);
  }

  async readMetas(): Promise<SandboxMeta[]> {
    const out: SandboxMeta[] = [];
    for (const name of await readdir(this.sandboxesDir)) {
      try {
        out.push(JSON.parse(await readFile(this.dirs(name).meta, "utf8")) as SandboxMeta);
      } catch {
        // no meta: a Sandbox whose creation or destruction was interrupted
        await this.trash(this.dirs(name).root);
      }
    }
    return out;
  }

  writeMeta(meta: SandboxMeta): Promise<void> {
    return writeJsonAtomic(this.dirs(meta.name).meta, meta);
  }

  // ------------------------------------------------------------ workspace

  /** Creates the directories of a new Sandbox (empty workspace). */
  async create(name: string): Promise<void> {
    const d = this.dirs(name);
    for (const dir of [d.ws, d.upper, d.work, d.home, d.tmp]) await mkdir(dir, { recursive: true });
  }

  async mount(name: string, meta: SandboxMeta): Promise<void> {
    if (this.mode !== "overlay") return;
    const d = this.dirs(name);
    if (await isMountPoint(d.ws)) return;
    await mkdir(d.upper, { recursive: true });
    // A fresh work dir every mount: overlay refuses to reuse one a volatile mount left behind.
    await this.trash(d.work);
    await mkdir(d.work, { recursive: true });
    const lowers = (meta.layers.length ? meta.layers : [EMPTY_LAYER]).map((l) => this.layerPath(l));
    await mountOverlay({ lowers, upper: d.upper, work: d.work, target: d.ws, volatile: this.volatile });
  }

  async unmount(name: string): Promise<void> {
    if (this.mode !== "overlay") return;
    const d = this.dirs(name);
    if (await isMountPoint(d.ws)) await unmount(d.ws);
  }

  /**
   * Freezes the workspace into layer `id`; returns the snapshot's stack. The caller makes sure
   * nothing writes to it meanwhile. Overlay: an empty upper dir adds no layer, so the snapshot
   * shares all layers; otherwise the upper dir becomes the layer, and may still be the upper
   * of the mounted workspace until the caller remounts (`mount` then takes a fresh work dir).
   */
  async freeze(
    name: string,
    meta: SandboxMeta,
    id: string,
  ): Promise<{ layers: string[]; newLayer: string | null }> {
    const d = this.dirs(name);
    if (this.mode === "copy") {
      await copyTree(d.ws, this.layerPath(id));
      return { layers: [id], newLayer: id };
    }
    // No upper dir (a mount that failed before making one) holds no changes either.
    const changed = await readdir(d.upper).then(
      (entries) => entries.length > 0,
      () => false,
    );
    if (!changed) return { layers: meta.layers, newLayer: null };
    await rename(d.upper, this.layerPath(id));
    return { layers: [id, ...meta.layers], newLayer: id };
  }

  /** Makes the (unmounted) workspace exactly `layers`, dropping the writable layer. */
  async reset(name: string, layers: readonly string[]): Promise<void> {
    const d = this.dirs(name);
    if (this.mode === "copy") {
      await this.trash(d.ws);
      const source = layers[0];
      if (source) await copyTree(this.layerPath(source), d.ws);
      else await mkdir(d.ws, { recursive: true });
      return;
    }
    await this.trash(d.upper);
    await this.trash(d.work);
  }
}
