/**
 * Pure: the bookkeeping of snapshot layers — the overlay mount options for a
 * stack, which snapshots the garbage collector drops, which layers nothing
 * refers to any more, and when a stack is deep enough to squash. No I/O.
 *
 * A snapshot is a list of layer ids, top first. A layer is an immutable
 * directory (a frozen overlay upper dir, or a full copy in copy mode). Two
 * consecutive snapshots of one Sandbox share every layer but the newest.
 */

export interface SnapshotRecord {
  id: string;
  sandbox: string;
  name: string | null;
  createdAt: string;
  /** Monotonic per host: orders snapshots taken within the same millisecond. */
  seq: number;
  pinned: boolean;
  /** Layer ids, top first. */
  layers: string[];
  /** Bytes of the snapshot's own (top) layer, once measured. */
  sizeBytes: number | null;
}

/**
 * Overlay's mount data must fit in one page (4096 bytes) — the practical
 * limit on stack depth, well before overlayfs' own 500-layer limit.
 */
export const MOUNT_DATA_LIMIT = 4000;

export function overlayMountData(opts: {
  lowers: readonly string[];
  upper: string;
  work: string;
  /** Skip syncs to the upper filesystem (unmount would otherwise flush every dirty page first). */
  volatile?: boolean;
}): string {
  if (opts.lowers.length === 0) throw new Error("an overlay needs at least one lower layer");
  for (const dir of [...opts.lowers, opts.upper, opts.work]) {
    if (/[,:\\]/.test(dir)) throw new Error(`layer path may not contain , : or \\: ${dir}`);
  }
  const data = `lowerdir=${opts.lowers.join(":")},upperdir=${opts.upper},workdir=${opts.work}${opts.volatile ? ",volatile" : ""}`;
  if (data.length > MOUNT_DATA_LIMIT)
    throw new Error(`overlay stack too deep (${opts.lowers.length} layers)`);
  return data;
}

/** Newest first: by creation time, then by sequence number. */
export function newestFirst(a: SnapshotRecord, b: SnapshotRecord): number {
  return b.createdAt.localeCompare(a.createdAt) || b.seq - a.seq;
}

/** GC policy: per Sandbox keep the newest `keepLast` plus every pinned one; returns the ids to drop. */
export function snapshotsToCollect(snapshots: readonly SnapshotRecord[], keepLast: number): string[] {
  const bySandbox = new Map<string, SnapshotRecord[]>();
  for (const s of snapshots) bySandbox.set(s.sandbox, [...(bySandbox.get(s.sandbox) ?? []), s]);
  const drop: string[] = [];
  for (const list of bySandbox.values()) {
    list.sort(newestFirst);
    list.forEach((s, index) => {
      if (index >= keepLast && !s.pinned) drop.push(s.id);
    });
  }
  return drop;
}

/** Layers referenced neither by a kept snapshot nor by a Sandbox's current stack. */
export function unreferencedLayers(opts: {
  layers: readonly string[];
  snapshots: readonly SnapshotRecord[];
  sandboxStacks: readonly (readonly string[])[];
  keep?: readonly string[];
}): string[] {
  const live = new Set<string>(opts.keep ?? []);
  for (const s of opts.snapshots) for (const l of s.layers) live.add(l);
  for (const stack of opts.sandboxStacks) for (const l of stack) live.add(l);
  return opts.layers.filter((l) => !live.has(l));
}

/** Squash a snapshot's stack in the background once it is this deep. */
export const SQUASH_DEPTH = 16;

export function needsSquash(layers: readonly string[], threshold = SQUASH_DEPTH): boolean {
  return layers.length >= threshold;
}
