/**
 * One Sandbox on the local host: its workspace (mounted while awake), its
 * running commands and background processes, the snapshot marker, the idle
 * timer and the disk-quota check. Created lazily by the manager (get-or-create
 * by name); state that must survive a host restart lives in meta.json.
 */
import {
  type ExecResult,
  type FileEntry,
  type ProcessInfo,
  SandboxError,
  type SandboxStatus,
  WORKSPACE_DIR,
  workspaceRelative,
} from "../../ports/sandbox.ts";
import type { ExecRequest, StartProcessRequest, WaitForPortRequest } from "../../ports/sandbox-wire.ts";
import { createServer, type Server } from "node:net";
import { displayCommand, type SandboxMounts, sandboxEnv, toArgv } from "./bwrap-args.ts";
import { WorkspaceFiles } from "./files.ts";
import type { SnapshotRecord } from "./layer-policy.ts";
import { type LayerStore, newId, type SandboxMeta } from "./layers.ts";
import type { SandboxNetwork } from "./netns.ts";
import { BackgroundProcess, dialHostLoopback } from "./processes.ts";
import { type Isolation, runToCompletion, spawnConfined } from "./runner.ts";
import { RwLock } from "./rw-lock.ts";
import { diskUsage } from "./system.ts";
import type { SandboxLimiter } from "./limits-host.ts";
import { oomMessage } from "./limits.ts";

export interface SandboxLimits {
  /** Default and maximum wall time of one command. */
  timeoutMs: number;
  maxTimeoutMs: number;
  /** Default and maximum stdout + stderr bytes of one command. */
  maxOutputBytes: number;
  /** Size of the visible workspace beyond which mutating calls are refused. */
  quotaBytes: number;
  /** A Sandbox with no call for this long sleeps. */
  idleMs: number;
}

export interface SandboxRuntime {
  store: LayerStore;
  isolation: Isolation;
  /** The Sandbox's own network (netns.ts), or null where commands share the host's. */
  network(name: string): SandboxNetwork | null;
  /** Variables every command starts with, under the caller's own. */
  baseEnv: Readonly<Record<string, string>>;
  limits: SandboxLimits;
  /** Host name put into exposed port URLs. */
  publicHost: string;
  findSnapshot(id: string): SnapshotRecord | undefined;
  /** Keeps a layer that has no snapshot record yet from the garbage collector; call the result to release. */
  holdLayer(id: string): () => void;
  /** Saves a new snapshot record; `alongside` runs concurrently with the write and is awaited too. */
  recordSnapshot(
    input: { sandbox: string; name: string | null; pinned: boolean; layers: string[] },
    alongside?: (record: SnapshotRecord) => Promise<void>,
  ): Promise<SnapshotRecord>;
  /** Runs background work that starts processes once the answers being written are out. */
  defer(fn: () => void): void;
  /** The Sandbox's memory, process and disk limits (limits-host.ts); null: none enforced. */
  limiter(name: string): SandboxLimiter | null;
}

export class HostedSandbox {
  private awake = false;
  /** The stack the current mount was made of: still in use even after a squash replaced meta.layers. */
  private mountedStack: string[] = [];
  private waking: Promise<void> | null = null;
  private readonly lock = new RwLock();
  private readonly processes = new Map<string, BackgroundProcess>();
  private readonly runningExecs = new Set<(reason: SandboxError) => void>();
  private idleTimer: NodeJS.Timeout | undefined;
  private usage: number | null = null;
  private measuring = false;
  private readonly files: WorkspaceFiles;
  private readonly net: SandboxNetwork | null;
  private readonly limiter: SandboxLimiter | null;
  /** Host-side listeners of `exposePort`, by Sandbox port. */
  private readonly exposed = new Map<number, { server: Server; url: string }>();

  constructor(
    private readonly rt: SandboxRuntime,
    public meta: SandboxMeta,
  ) {
    this.files = new WorkspaceFiles(rt.store.dirs(meta.name).ws);
    this.net = rt.network(meta.name);
    this.limiter = rt.limiter(meta.name);
  }

  /** Starts a command in this Sandbox: in its own network namespace when it has one. */
  private async spawn(req: {
    command: string | readonly string[];
    cwd?: string | undefined;
    env?: Record<string, string> | undefined;
  }) {
    await this.net?.ready();
    // ---- resource limits (limits.ts): /home + /tmp mounted, the cgroup joined before bwrap starts.
    await this.limiter?.mountScratch();
    const limits = (await this.limiter?.prefix()) ?? [];
    const child = spawnConfined(
      this.rt.isolation,
      this.mounts,
      {
        argv: toArgv(req.command),
        cwd: this.insidePath(req.cwd),
        env: sandboxEnv({ ...this.rt.baseEnv, ...req.env }),
      },
      this.net?.prefix() ?? [],
      limits,
    );
    this.watchDisk();
    return child;
  }

  /** While commands run, the bytes they add to the workspace are watched; past the quota, they are killed. */
  private watchDisk(): void {
    const d = this.rt.store.dirs(this.name);
    this.limiter?.watch(
      this.rt.store.mode === "overlay" ? d.upper : d.ws,
      () => this.runningExecs.size > 0 || [...this.processes.values()].some((p) => p.running),
      (message) => {
        for (const abort of this.runningExecs) abort(new SandboxError("quota_exceeded", message));
        for (const p of this.processes.values()) void p.kill();
        this.measureUsage();
      },
    );
  }

  /** With every command gone: the scratch filesystem unmounted, the cgroup removed (both come back lazily). */
  private async releaseLimits(): Promise<void> {
    await this.limiter?.unmountScratch();
    await this.limiter?.release();
  }

  /** A command that failed after the OOM killer ended one of its processes fails as `killed`. */
  private async memoryVerdict(result: ExecResult, oomBefore: number): Promise<ExecResult> {
    const limiter = this.limiter;
    if (!limiter || limiter.memoryBytes === null || result.exitCode === 0) return result;
    if ((await limiter.oomKills()) <= oomBefore) return result;
    throw new SandboxError("killed", oomMessage(limiter.memoryBytes, result.exitCode));
  }

  /** Closes what connects the Sandbox's network to the host (its namespace stays). */
  private async closeNetwork(): Promise<void> {
    for (const { server } of this.exposed.values()) server.close();
    this.exposed.clear();
    await this.net?.close();
  }

  get name(): string {
    return this.meta.name;
  }

  /** Layers this Sandbox needs: its stack and the one its workspace is mounted on. */
  referencedLayers(): string[] {
    return [...this.meta.layers, ...this.mountedStack];
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
      await this.wake();
      if (opts.mutates) {
        if (this.usage !== null && this.usage > this.rt.limits.quotaBytes) {
          throw new SandboxError(
            "quota_exceeded",
            `workspace uses ${this.usage} bytes of ${this.rt.limits.quotaBytes}`,
          );
        }
        await this.clearMarker();
      }
      try {
        return await fn();
      } finally {
        if (opts.mutates) this.measureUsage();
        this.touch();
      }
    });
  }

  private wake(): Promise<void> {
    if (this.awake) return Promise.resolve();
    const stack = [...this.meta.layers];
    this.waking ??= this.rt.store.mount(this.name, this.meta).then(
      () => {
        this.mountedStack = stack;
        this.awake = true;
        this.waking = null;
      },
      (error: unknown) => {
        this.waking = null;
        throw new SandboxError("internal", `cannot mount workspace: ${String(error)}`);
      },
    );
    return this.waking;
  }

  /**
   * After a snapshot froze the upper dir of the mounted workspace into a layer: the old mount
   * goes and one over the new stack comes, in the background. Until it is there, `awake` is
   * false and `waking` is this work, so every call that needs the workspace waits for it.
   */
  private remount(): void {
    this.awake = false;
    let go = () => {};
    const answered = new Promise<void>((resolve) => {
      go = resolve;
    });
    this.rt.defer(go);
    this.waking = (async () => {
      // umount and mount are processes: they start once the snapshot's answer is out.
      await answered;
      await this.rt.store.unmount(this.name);
      this.mountedStack = [];
      const stack = [...this.meta.layers];
      await this.rt.store.mount(this.name, this.meta);
      this.mountedStack = stack;
    })().then(
      () => {
        this.awake = true;
        this.waking = null;
      },
      (error: unknown) => {
        this.waking = null;
        throw new SandboxError("internal", `cannot mount workspace: ${String(error)}`);
      },
    );
    // A failure is reported by the next call that needs the workspace (it mounts again).
    this.waking.catch(() => undefined);
  }

  /** Resolves once no mount or remount is under way (whether it worked or not). */
  settled(): Promise<void> {
    return this.waking?.catch(() => undefined) ?? Promise.resolve();
  }

  private async unmount(): Promise<void> {
    // A mount still under way (a remount after a snapshot) lands first, so it cannot appear
    // after the unmount; if it failed, there is nothing to take down.
    await this.settled();
    await this.rt.store.unmount(this.name);
    this.awake = false;
    this.mountedStack = [];
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.sleepIfIdle(), this.rt.limits.idleMs);
    this.idleTimer.unref();
  }

  private async sleepIfIdle(): Promise<void> {
    if (!this.awake || !this.lock.idle) return this.touch();
    await this.sleep();
  }

  /** Stops processes and unmounts; files are kept. The next call wakes the Sandbox. */
  sleep(): Promise<void> {
    clearTimeout(this.idleTimer);
    return this.lock.exclusive(async () => {
      await this.stopAll("the Sandbox went to sleep");
      await this.closeNetwork();
      await this.unmount();
      await this.releaseLimits();
    });
  }

  private async stopAll(reason: string): Promise<void> {
    for (const abort of this.runningExecs) abort(new SandboxError("killed", `command killed: ${reason}`));
    await Promise.all([...this.processes.values()].map((p) => p.kill()));
  }

  private async clearMarker(): Promise<void> {
    if (this.meta.snapshotId === null) return;
    this.meta = { ...this.meta, snapshotId: null };
    await this.rt.store.writeMeta(this.meta);
  }

  private measureUsage(): void {
    if (this.measuring) return;
    this.measuring = true;
    // `du` is a process: it starts once the answer to the call that changed the files is out.
    this.rt.defer(() => {
      diskUsage(this.rt.store.dirs(this.name).ws)
        .then((bytes) => {
          this.usage = bytes;
        })
        .catch(() => undefined)
        .finally(() => {
          this.measuring = false;
        });
    });
  }

  // ------------------------------------------------------------ commands

  exec(
    req: ExecRequest,
    onOutput?: (stream: "stdout" | "stderr", data: string) => void,
  ): Promise<ExecResult> {
    return this.use(
      async () => {
        const oomBefore = (await this.limiter?.oomKills()) ?? 0;
        const child = await this.spawn(req);
        const { result, abort } = runToCompletion(child, {
          timeoutMs: Math.min(req.timeoutMs ?? this.rt.limits.timeoutMs, this.rt.limits.maxTimeoutMs),
          maxOutputBytes: Math.min(
            req.maxOutputBytes ?? this.rt.limits.maxOutputBytes,
            this.rt.limits.maxOutputBytes,
          ),
          ...(onOutput ? { onOutput } : {}),
        });
        this.runningExecs.add(abort);
        try {
          return await this.memoryVerdict(await result, oomBefore);
        } finally {
          this.runningExecs.delete(abort);
        }
      },
      { mutates: true },
    );
  }

  private insidePath(cwd: string | undefined): string {
    const rel = workspaceRelative(cwd ?? WORKSPACE_DIR);
    return rel ? `${WORKSPACE_DIR}/${rel}` : WORKSPACE_DIR;
  }

  startProcess(req: StartProcessRequest): Promise<ProcessInfo> {
    return this.use(
      async () => {
        const id = req.processId ?? newId("p");
        if (this.processes.get(id)?.running) throw new SandboxError("conflict", `process ${id} is running`);
        const child = await this.spawn(req);
        const proc = new BackgroundProcess(id, displayCommand(req.command), child);
        this.processes.set(id, proc);
        return proc.info();
      },
      { mutates: true },
    );
  }

  private process(id: string): BackgroundProcess {
    const proc = this.processes.get(id);
    if (!proc) throw new SandboxError("not_found", `no process ${id} in Sandbox ${this.name}`);
    return proc;
  }

  getProcess(id: string): ProcessInfo {
    this.touch();
    return this.process(id).info();
  }

  listProcesses(): ProcessInfo[] {
    this.touch();
    return [...this.processes.values()].map((p) => p.info());
  }

  getProcessLogs(id: string) {
    this.touch();
    return this.process(id).getLogs();
  }

  async killProcess(id: string): Promise<void> {
    this.touch();
    await this.process(id).kill();
  }

  waitForLog(id: string, test: (line: string) => boolean, timeoutMs: number): Promise<string> {
    this.touch();
    return this.process(id).waitForLog(test, timeoutMs);
  }

  async waitForPort(id: string, req: WaitForPortRequest): Promise<void> {
    this.touch();
    const net = this.net;
    await this.process(id).waitForPort({
      port: req.port,
      mode: req.mode ?? "http",
      path: req.path ?? "/",
      timeoutMs: Math.min(req.timeoutMs ?? this.rt.limits.timeoutMs, this.rt.limits.maxTimeoutMs),
      dial: net ? (port) => net.connect(port) : dialHostLoopback,
    });
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
    const known = this.exposed.get(port);
    if (known) return { port, url: known.url };
    await net.ready();
    const server = createServer((outside) => void net.forwardInside(outside, port));
    const url = await new Promise<string>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "127.0.0.1", port: 0 }, () => {
        const address = server.address();
        resolve(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`);
      });
    });
    this.exposed.set(port, { server, url });
    return { port, url };
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
    this.usage = null;
    return this.use(() => this.files.delete(path, recursive), { mutates: true });
  }

  // ------------------------------------------------------------ snapshots

  snapshot(opts: { name: string | null; pinned: boolean }): Promise<SnapshotRecord> {
    this.touch();
    return this.lock.exclusive(async () => {
      // The workspace stays mounted while its upper dir is frozen: with its processes stopped
      // and this lock held alone, nothing writes to it, and renaming the upper dir changes none
      // of its files. A remount from the previous snapshot lands first (its upper is this one).
      await this.stopAll("snapshot");
      await this.settled();
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
      if (frozeUpper && this.awake) this.remount();
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
    await this.stopAll("restore");
    await this.unmount();
    await this.rt.store.reset(this.name, record.layers);
    this.meta = {
      ...this.meta,
      layers: this.rt.store.mode === "overlay" ? [...record.layers] : [],
      snapshotId: record.id,
    };
    await this.rt.store.writeMeta(this.meta);
    this.usage = null;
    await this.wake();
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
      state: this.awake || this.waking ? "awake" : "sleeping",
      snapshotId: this.meta.snapshotId,
      processes: [...this.processes.values()].filter((p) => p.running).length,
      diskUsageBytes: this.usage,
    };
  }

  /** Kills everything, unmounts, and deletes the Sandbox's directories. */
  destroy(): Promise<void> {
    clearTimeout(this.idleTimer);
    void this.stopAll("the Sandbox was destroyed");
    return this.lock.exclusive(async () => {
      await this.stopAll("the Sandbox was destroyed");
      await this.closeNetwork();
      await this.net?.remove();
      await this.unmount();
      await this.releaseLimits();
      await this.rt.store.trash(this.rt.store.dirs(this.name).root);
    });
  }
}
