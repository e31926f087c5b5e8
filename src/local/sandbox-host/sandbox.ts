/**
 * One Sandbox on the local host: its workspace (mounted while awake), its
 * running commands and background processes, the snapshot marker, the idle
 * timer and the disk-quota check. Created lazily by the manager (get-or-create
 * by name); state that must survive a host restart lives in meta.json.
 * Its parts have their own modules: the mount (workspace-mount.ts), the
 * commands (sandbox-commands.ts), the disk usage (workspace-usage.ts) and the
 * exposed ports (exposed-ports.ts); this class sequences them under one lock.
 */
import {
  type ExecResult,
  type FileEntry,
  type ProcessInfo,
  SandboxError,
  type SandboxStatus,
} from "../../ports/sandbox.ts";
import type { ExecRequest, StartProcessRequest, WaitForPortRequest } from "../../ports/sandbox-wire.ts";
import type { SandboxMounts } from "./bwrap-args.ts";
import { WorkspaceFiles } from "./files.ts";
import type { SnapshotRecord } from "./layer-policy.ts";
import { newId, type SandboxMeta } from "./layers.ts";
import type { SandboxNetwork } from "./netns.ts";
import { ExposedPorts } from "./exposed-ports.ts";
import { SandboxCommands } from "./sandbox-commands.ts";
import { RwLock } from "./rw-lock.ts";
import type { SandboxRuntime } from "./sandbox-runtime.ts";
import { WorkspaceMount } from "./workspace-mount.ts";
import { WorkspaceUsage } from "./workspace-usage.ts";
import type { SandboxLimiter } from "./sandbox-limiter.ts";

export class HostedSandbox {
  private readonly lock = new RwLock();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly files: WorkspaceFiles;
  private readonly net: SandboxNetwork | null;
  private readonly limiter: SandboxLimiter | null;
  private readonly workspace: WorkspaceMount;
  private readonly usage: WorkspaceUsage;
  private readonly exposed = new ExposedPorts();
  private readonly commands: SandboxCommands;

  constructor(
    private readonly rt: SandboxRuntime,
    public meta: SandboxMeta,
  ) {
    this.files = new WorkspaceFiles(rt.store.dirs(meta.name).ws);
    this.net = rt.network(meta.name);
    this.limiter = rt.limiter(meta.name);
    this.workspace = new WorkspaceMount(
      rt.store,
      meta.name,
      () => this.meta,
      (fn) => rt.defer(fn),
    );
    this.usage = new WorkspaceUsage(rt, rt.store.dirs(meta.name).ws);
    this.commands = new SandboxCommands(
      rt,
      meta.name,
      this.net,
      this.limiter,
      () => this.mounts,
      () => this.usage.measure(),
    );
  }

  /** With every command gone: the scratch filesystem unmounted, the cgroup removed (both come back lazily). */
  private async releaseLimits(): Promise<void> {
    await this.limiter?.unmountScratch();
    await this.limiter?.release();
  }

  /** Closes what connects the Sandbox's network to the host (its namespace stays). */
  private async closeNetwork(): Promise<void> {
    this.exposed.close();
    await this.net?.close();
  }

  get name(): string {
    return this.meta.name;
  }

  /** Layers this Sandbox needs: its stack and the one its workspace is mounted on. */
  referencedLayers(): string[] {
    return [...this.meta.layers, ...this.workspace.stack];
  }

  private get mounts(): SandboxMounts {
    const d = this.rt.store.dirs(this.name);
    return { workspace: d.ws, ...(this.limiter?.dirs(d) ?? { home: d.home, tmp: d.tmp }) };
  }

  // ------------------------------------------------------------ lifecycle

  /** Runs `fn` with the workspace mounted, alongside other shared calls. */
  private use<T>(fn: () => Promise<T>, opts: { mutates: boolean }): Promise<T> {
    this.touch();
    return this.lock.shared(async () => {
      await this.workspace.wake();
      if (opts.mutates) {
        this.usage.refuseOverQuota();
        await this.clearMarker();
      }
      try {
        return await fn();
      } finally {
        if (opts.mutates) this.usage.measure();
        this.touch();
      }
    });
  }

  /** Resolves once no mount or remount is under way (whether it worked or not). */
  settled(): Promise<void> {
    return this.workspace.settled();
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.sleepIfIdle(), this.rt.limits.idleMs);
    this.idleTimer.unref();
  }

  private async sleepIfIdle(): Promise<void> {
    if (!this.workspace.awake || !this.lock.idle) return this.touch();
    await this.sleep();
  }

  /** Stops processes and unmounts; files are kept. The next call wakes the Sandbox. */
  sleep(): Promise<void> {
    clearTimeout(this.idleTimer);
    return this.lock.exclusive(async () => {
      await this.commands.stopAll("the Sandbox went to sleep");
      await this.closeNetwork();
      await this.workspace.unmount();
      await this.releaseLimits();
    });
  }

  private async clearMarker(): Promise<void> {
    if (this.meta.snapshotId === null) return;
    this.meta = { ...this.meta, snapshotId: null };
    await this.rt.store.writeMeta(this.meta);
  }

  // ------------------------------------------------------------ commands

  exec(
    req: ExecRequest,
    onOutput?: (stream: "stdout" | "stderr", data: string) => void,
  ): Promise<ExecResult> {
    return this.use(() => this.commands.exec(req, onOutput), { mutates: true });
  }

  startProcess(req: StartProcessRequest): Promise<ProcessInfo> {
    return this.use(() => this.commands.start(req), { mutates: true });
  }

  getProcess(id: string): ProcessInfo {
    this.touch();
    return this.commands.process(id).info();
  }

  listProcesses(): ProcessInfo[] {
    this.touch();
    return this.commands.list();
  }

  getProcessLogs(id: string) {
    this.touch();
    return this.commands.process(id).getLogs();
  }

  async killProcess(id: string): Promise<void> {
    this.touch();
    await this.commands.process(id).kill();
  }

  waitForLog(id: string, test: (line: string) => boolean, timeoutMs: number): Promise<string> {
    this.touch();
    return this.commands.process(id).waitForLog(test, timeoutMs);
  }

  async waitForPort(id: string, req: WaitForPortRequest): Promise<void> {
    this.touch();
    await this.commands.waitForPort(id, req);
  }

  /**
   * A URL on the host for a port of the Sandbox. With its own network, a listener on the host's
   * loopback (any free port) forwards each connection inside; other Sandboxes cannot reach it,
   * being in networks of their own.
   */
  async exposePort(port: number): Promise<{ port: number; url: string }> {
    this.touch();
    const net = this.net;
    if (!net) return { port, url: `http://${this.rt.publicHost}:${port}/` };
    return { port, url: await this.exposed.expose(net, port) };
  }

  // ------------------------------------------------------------ files

  writeFile(path: string, content: string, encoding?: "utf8" | "base64"): Promise<void> {
    return this.use(() => this.files.write(path, content, encoding), { mutates: true });
  }

  readFile(path: string, encoding?: "utf8" | "base64"): Promise<string> {
    return this.use(() => this.files.read(path, encoding), { mutates: false });
  }

  listFiles(path: string, recursive?: boolean): Promise<FileEntry[]> {
    return this.use(() => this.files.list(path, recursive), { mutates: false });
  }

  deleteFile(path: string, recursive?: boolean): Promise<void> {
    // Deleting is allowed over quota: it is how a Sandbox gets back under it.
    this.usage.forget();
    return this.use(() => this.files.delete(path, recursive), { mutates: true });
  }

  // ------------------------------------------------------------ snapshots

  snapshot(opts: { name: string | null; pinned: boolean }): Promise<SnapshotRecord> {
    this.touch();
    return this.lock.exclusive(async () => {
      // The workspace stays mounted while its upper dir is frozen: with its processes stopped
      // and this lock held alone, nothing writes to it, and renaming the upper dir changes none
      // of its files. A remount from the previous snapshot lands first (its upper is this one).
      await this.commands.stopAll("snapshot");
      await this.workspace.settled();
      const layerId = newId(this.rt.store.mode === "copy" ? "c" : "o");
      const release = this.rt.holdLayer(layerId);
      let record: SnapshotRecord;
      let frozeUpper = false;
      try {
        const { layers, newLayer } = await this.rt.store.freeze(this.name, this.meta, layerId);
        frozeUpper = newLayer !== null && this.rt.store.mode === "overlay";
        // The marker is written alongside the record, not after it: a crash between the two
        // leaves at worst a marker naming a snapshot no caller was told about, which the next
        // step's restore replaces, as it would a cleared marker.
        record = await this.rt.recordSnapshot(
          { sandbox: this.name, name: opts.name, pinned: opts.pinned, layers },
          (saved) => {
            this.meta = {
              ...this.meta,
              layers: this.rt.store.mode === "overlay" ? saved.layers : [],
              snapshotId: saved.id,
            };
            return this.rt.store.writeMeta(this.meta);
          },
        );
      } finally {
        release();
      }
      // The answer does not wait for the old mount to go and the new one to come: the next call
      // that uses the workspace waits for them (`use` → `wake`), and until then the caller's own
      // work (its journal, its next step) runs alongside. An unchanged workspace keeps its mount.
      if (frozeUpper && this.workspace.awake) this.workspace.remount();
      return record;
    });
  }

  restore(snapshotId: string): Promise<void> {
    this.touch();
    return this.lock.exclusive(() => this.restoreAlone(snapshotId));
  }

  /**
   * Restores `snapshotId` unless the marker already names it (the workspace is exactly that
   * snapshot); returns whether it restored. The check and the restore happen under one lock,
   * so no mutating call can come between them.
   */
  ensureAt(snapshotId: string): Promise<boolean> {
    this.touch();
    return this.lock.exclusive(async () => {
      if (this.meta.snapshotId === snapshotId) return false;
      await this.restoreAlone(snapshotId);
      return true;
    });
  }

  /** The restore itself; the caller holds the lock alone. */
  private async restoreAlone(snapshotId: string): Promise<void> {
    const record = this.rt.findSnapshot(snapshotId);
    if (!record) throw new SandboxError("not_found", `no snapshot ${snapshotId}`);
    await this.commands.stopAll("restore");
    await this.workspace.unmount();
    await this.rt.store.reset(this.name, record.layers);
    this.meta = {
      ...this.meta,
      layers: this.rt.store.mode === "overlay" ? [...record.layers] : [],
      snapshotId: record.id,
    };
    await this.rt.store.writeMeta(this.meta);
    this.usage.forget();
    await this.workspace.wake();
  }

  /** Replaces the layer stack by an equivalent one (after a squash); used at the next mount. */
  replaceStack(from: readonly string[], to: string[]): void {
    if (from.length === this.meta.layers.length && from.every((l, i) => this.meta.layers[i] === l)) {
      this.meta = { ...this.meta, layers: to };
      void this.rt.store.writeMeta(this.meta).catch(() => undefined);
    }
  }

  status(): SandboxStatus {
    return {
      name: this.name,
      state: this.workspace.awake || this.workspace.busy ? "awake" : "sleeping",
      snapshotId: this.meta.snapshotId,
      processes: this.commands.running,
      diskUsageBytes: this.usage.bytes,
    };
  }

  /** Kills everything, unmounts, and deletes the Sandbox's directories. */
  destroy(): Promise<void> {
    clearTimeout(this.idleTimer);
    void this.commands.stopAll("the Sandbox was destroyed");
    return this.lock.exclusive(async () => {
      await this.commands.stopAll("the Sandbox was destroyed");
      await this.closeNetwork();
      await this.net?.remove();
      await this.workspace.unmount();
      await this.releaseLimits();
      await this.rt.store.trash(this.rt.store.dirs(this.name).root);
    });
  }
}
