/**
 * The limits of one Sandbox while its commands run: its cgroup (created at its
 * first command, removed when it sleeps or is destroyed), its scratch
 * filesystem for /home/sandbox and /tmp, and the watch of what commands add to
 * the workspace.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, statfs } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { SandboxError } from "../../ports/sandbox.ts";
import { createCgroup, removeCgroup } from "./cgroups-host.ts";
import { type CgroupPlan, limitsPrefix, parseOomKills, shouldMeasure, WATCH_POLL_MS } from "./limits.ts";
import { makeImage } from "./scratch-image.ts";
import { exists, isMountPoint, unmount } from "./system.ts";

const run = promisify(execFile);

export interface LimitsOptions {
  memoryBytes: number;
  maxProcesses: number;
  /** Size of each Sandbox's /home/sandbox + /tmp filesystem. */
  scratchBytes: number;
  /** Bytes a command may add to /workspace (RLIMIT_FSIZE and the upper-dir watch). */
  quotaBytes: number;
}

/**
 * How far past the quota the watch lets a running command go before it kills it: `du -sb`
 * counts the upper dir's directories too, so a single file cut off at the quota by
 * RLIMIT_FSIZE already measures a few KiB over it, and the watch raced the file limit. The
 * quota itself still holds exactly: after a call, a workspace over it refuses mutating calls.
 */
const WATCH_SLACK_BYTES = 64 * 1024;

/** Apparent bytes under `dir`; files vanishing while `du` walks (npm renames a lot) are skipped. */
async function bytesUnder(dir: string): Promise<number> {
  const parse = (stdout: string) => Number.parseInt(stdout.split("\t")[0] ?? "0", 10) || 0;
  try {
    return parse((await run("du", ["-sb", dir], { maxBuffer: 1 << 20 })).stdout);
  } catch (error) {
    return parse(String((error as { stdout?: string }).stdout ?? ""));
  }
}

/** The limits of one Sandbox: its cgroup, its scratch filesystem, the workspace watch. */
export class SandboxLimiter {
  private created: Promise<void> | null = null;
  private watching = false;

  constructor(
    private readonly plan: CgroupPlan | null,
    /** The Sandbox's state directory when it gets a scratch filesystem. */
    private readonly root: string | null,
    private readonly options: LimitsOptions,
  ) {}

  get memoryBytes(): number | null {
    return this.plan ? this.options.memoryBytes : null;
  }

  /** The argv every command of this Sandbox starts with; creates its cgroup on first use. */
  async prefix(): Promise<string[]> {
    if (this.plan) {
      const plan = this.plan;
      this.created ??= createCgroup(plan).catch((error: unknown) => {
        this.created = null;
        throw new SandboxError("internal", `cannot create the Sandbox's cgroup: ${String(error)}`);
      });
      await this.created;
    }
    return limitsPrefix(this.plan?.procs ?? [], this.options.quotaBytes);
  }

  /** The OOM killer's count for this Sandbox so far (0 without a memory cgroup). */
  async oomKills(): Promise<number> {
    if (!this.plan || !this.created) return 0;
    return parseOomKills(await readFile(this.plan.oomFile, "utf8").catch(() => ""));
  }

  /** Removes the cgroup; call once no command of the Sandbox runs (sleep, destroy). */
  async release(): Promise<void> {
    if (!this.plan || !this.created) return;
    this.created = null;
    await removeCgroup(...[...this.plan.dirs].reverse());
  }

  /** /home/sandbox and /tmp on the host: inside the scratch filesystem, or `plain` without one. */
  dirs(plain: { home: string; tmp: string }): { home: string; tmp: string } {
    if (!this.root) return plain;
    return { home: join(this.root, "scratch", "home"), tmp: join(this.root, "scratch", "tmp") };
  }

  /** Mounts the scratch filesystem (made on first use); nothing to do when it is mounted already. */
  async mountScratch(): Promise<void> {
    if (!this.root) return;
    const point = join(this.root, "scratch");
    if (await isMountPoint(point)) return;
    try {
      const image = join(this.root, "scratch.img");
      if (!(await exists(image))) await makeImage(image, this.options.scratchBytes);
      await mkdir(point, { recursive: true });
      // discard: space freed inside is given back to the host filesystem (the image stays sparse).
      await run("mount", ["-o", "loop,discard,nosuid,nodev", image, point]);
      await mkdir(join(point, "home"), { recursive: true });
      await mkdir(join(point, "tmp"), { recursive: true });
      await chmod(join(point, "tmp"), 0o1777);
    } catch (error) {
      throw new SandboxError("internal", `cannot mount the Sandbox's /home and /tmp: ${String(error)}`);
    }
  }

  async unmountScratch(): Promise<void> {
    if (!this.root) return;
    const point = join(this.root, "scratch");
    if (await isMountPoint(point)) await unmount(point);
  }

  /**
   * While `busy()`, measures `dir` (the overlay's upper dir: what commands wrote since the last
   * snapshot or restore) and calls `exceeded` once it holds more than the quota. One watch per
   * Sandbox at a time; it ends by itself when nothing runs.
   */
  watch(dir: string, busy: () => boolean, exceeded: (message: string) => void): void {
    if (this.watching) return;
    this.watching = true;
    const quotaBytes = this.options.quotaBytes;
    // The Sandbox's directory: there even while the upper dir is being replaced (restore, remount).
    const free = () =>
      statfs(dirname(dir)).then(
        (s) => s.bavail * s.bsize,
        () => 0,
      );
    let last = { bytes: 0, free: 0, at: performance.now(), tookMs: 0 };
    const tick = async (): Promise<void> => {
      if (!busy()) {
        this.watching = false;
        return;
      }
      const freeNow = await free();
      const sinceMs = performance.now() - last.at;
      const measure = shouldMeasure({
        quotaBytes,
        lastBytes: last.bytes,
        freeAtLast: last.free,
        freeNow,
        lastMeasureMs: last.tookMs,
        sinceMs,
      });
      if (measure) {
        const started = performance.now();
        const bytes = await bytesUnder(dir);
        last = { bytes, free: freeNow, at: performance.now(), tookMs: performance.now() - started };
        if (bytes > quotaBytes + WATCH_SLACK_BYTES)
          exceeded(`disk quota exceeded: the workspace grew by ${bytes} bytes, more than ${quotaBytes}`);
      }
      setTimeout(() => void tick(), WATCH_POLL_MS).unref();
    };
    void free().then((f) => {
      last = { ...last, free: f, at: performance.now() };
      setTimeout(() => void tick(), WATCH_POLL_MS).unref();
    });
  }
}
