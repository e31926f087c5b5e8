/**
 * The effects of the resource limits in limits.ts: finding out at start-up what this machine
 * can enforce (a writable cgroup v1 or v2 memory + pids hierarchy, loop-mounted ext4), one
 * cgroup per Sandbox (created at its first command, removed when it sleeps or is destroyed),
 * its scratch filesystem for /home/sandbox and /tmp, and the workspace watch.
 *
 * Cgroups go under the host process's own cgroup in each hierarchy (`<own>/nightshift-<hash of
 * the state dir>/<sandbox>`), so whatever limits the host itself is under still holds for its
 * Sandboxes, and two hosts on one machine do not share cgroups.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  access,
  chmod,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  statfs,
  writeFile,
} from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { SandboxError } from "../../ports/sandbox.ts";
import {
  type CgroupFlavor,
  type CgroupPlan,
  cgroupDir,
  cgroupMounts,
  cgroupPlan,
  type LimitsHealth,
  limitsPrefix,
  ownCgroups,
  parseOomKills,
  shouldMeasure,
  WATCH_POLL_MS,
} from "./limits.ts";
import { isMountPoint, unmount, which } from "./system.ts";

const run = promisify(execFile);

export interface LimitsOptions {
  memoryBytes: number;
  maxProcesses: number;
  /** Size of each Sandbox's /home/sandbox + /tmp filesystem. */
  scratchBytes: number;
  /** Bytes a command may add to /workspace (RLIMIT_FSIZE and the upper-dir watch). */
  quotaBytes: number;
}

export class HostLimits {
  private constructor(
    private readonly options: LimitsOptions,
    private readonly flavor: CgroupFlavor | null,
    private readonly scratch: boolean,
    readonly health: LimitsHealth,
  ) {}

  /** Probes cgroups and loop mounts for real; what does not work is named in `health.fallbackReasons`. */
  static async probe(stateDir: string, options: LimitsOptions): Promise<HostLimits> {
    const reasons: string[] = [];
    const name = `nightshift-${createHash("sha256").update(stateDir).digest("hex").slice(0, 12)}`;
    const found = await findCgroups(name, options);
    if ("reason" in found) reasons.push(`no memory/process limits: ${found.reason}`);
    const scratch = await probeScratch(join(stateDir, "trash"));
    if (scratch) reasons.push(`/home/sandbox and /tmp are plain host directories: ${scratch}`);
    const flavor = "flavor" in found ? found.flavor : null;
    return new HostLimits(options, flavor, scratch === null, {
      memoryBytes: flavor ? options.memoryBytes : null,
      maxProcesses: flavor ? options.maxProcesses : null,
      cgroup: flavor?.kind ?? null,
      scratchBytes: scratch === null ? options.scratchBytes : null,
      workspaceBytes: options.quotaBytes,
      fallbackReasons: reasons,
    });
  }

  forSandbox(name: string, root: string): SandboxLimiter {
    const plan = this.flavor ? cgroupPlan(this.flavor, name, this.options) : null;
    return new SandboxLimiter(plan, this.scratch ? root : null, this.options);
  }

  /** Removes the host's base cgroups (each Sandbox removed its own when it went to sleep). */
  async close(): Promise<void> {
    for (const dir of baseDirs(this.flavor)) await removeCgroup(dir);
  }
}

function baseDirs(flavor: CgroupFlavor | null): string[] {
  if (!flavor) return [];
  return flavor.kind === "v1" ? [flavor.memoryBase, flavor.pidsBase] : [flavor.base];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A writable memory + pids hierarchy (v1 first, then v2), with the host's base cgroup made and tried. */
async function findCgroups(
  name: string,
  limits: LimitsOptions,
): Promise<{ flavor: CgroupFlavor } | { reason: string }> {
  const [self, mountinfo] = await Promise.all([
    readFile("/proc/self/cgroup", "utf8").catch(() => ""),
    readFile("/proc/self/mountinfo", "utf8").catch(() => ""),
  ]);
  const own = ownCgroups(self);
  const mounts = cgroupMounts(mountinfo);
  const v1 = (controller: string) => {
    const mount = mounts.find((m) => m.type === "cgroup" && m.options.includes(controller));
    const path = own.v1.get(controller);
    return mount && path !== undefined ? cgroupDir(mount, path) : null;
  };
  const memory = v1("memory");
  const pids = v1("pids");
  let flavor: CgroupFlavor | null = null;
  let why = "no cgroup v1 memory and pids hierarchies, no cgroup v2 with memory and pids controllers";
  try {
    if (memory && pids) {
      flavor = {
        kind: "v1",
        memoryBase: join(memory, name),
        pidsBase: join(pids, name),
        memsw: await exists(join(memory, "memory.memsw.limit_in_bytes")),
      };
      await mkdir(flavor.memoryBase, { recursive: true });
      await mkdir(flavor.pidsBase, { recursive: true });
    } else {
      const mount = mounts.find((m) => m.type === "cgroup2");
      const controllers = mount
        ? await readFile(join(mount.point, "cgroup.controllers"), "utf8").catch(() => "")
        : "";
      if (mount && own.v2 !== null && /\bmemory\b/.test(controllers) && /\bpids\b/.test(controllers)) {
        const parent = cgroupDir(mount, own.v2);
        // v2 allows controllers in children only of a cgroup without processes of its own (or the
        // root): where the host's own cgroup has processes, this write is refused and we say so.
        await writeFile(join(parent, "cgroup.subtree_control"), "+memory +pids");
        const base = join(parent, name);
        await mkdir(base, { recursive: true });
        await writeFile(join(base, "cgroup.subtree_control"), "+memory +pids");
        flavor = { kind: "v2", base, swap: await exists(join(parent, "memory.swap.max")) };
      }
    }
    if (!flavor) return { reason: why };
    // Leftovers of a host that was killed: empty by now (their commands died with it).
    for (const dir of baseDirs(flavor)) {
      for (const child of await readdir(dir, { withFileTypes: true }))
        if (child.isDirectory()) await removeCgroup(join(dir, child.name));
    }
    // One real cgroup with real limits, to know the writes are accepted here.
    const probe = cgroupPlan(flavor, "probe", limits);
    await createCgroup(probe);
    await removeCgroup(...probe.dirs);
    return { flavor };
  } catch (error) {
    why = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    return { reason: `cgroup not writable (${why})` };
  }
}

async function createCgroup(plan: CgroupPlan): Promise<void> {
  for (const dir of plan.dirs) await mkdir(dir, { recursive: true });
  for (const [file, value] of plan.writes) await writeFile(file, value);
}

/** rmdir of cgroups; a cgroup whose last processes are still exiting is retried briefly. */
async function removeCgroup(...dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await rmdir(dir);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") break;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }
}

/** Why loop-mounted ext4 cannot be used here, or null when a real one was made, mounted and removed. */
async function probeScratch(scratch: string): Promise<string | null> {
  if (!(await which("mkfs.ext4"))) return "mkfs.ext4 not found (apt-get install -y e2fsprogs)";
  await mkdir(scratch, { recursive: true });
  const dir = join(scratch, `limits-probe-${process.pid}`);
  try {
    await mkdir(join(dir, "m"), { recursive: true });
    await makeImage(join(dir, "img"), 16 << 20);
    await run("mount", ["-o", "loop,nosuid,nodev", join(dir, "img"), join(dir, "m")]);
    await unmount(join(dir, "m"));
    return null;
  } catch (error) {
    return `loop mount refused (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A sparse ext4 image of `bytes`, no blocks reserved for root (the Sandbox's uid 0 is root). */
async function makeImage(path: string, bytes: number): Promise<void> {
  const tmp = `${path}.new`;
  await rm(tmp, { force: true });
  await writeFile(tmp, "");
  await run("truncate", ["-s", String(bytes), tmp]);
  await run("mkfs.ext4", [
    "-q",
    "-F",
    "-m",
    "0",
    "-E",
    "lazy_itable_init=1,lazy_journal_init=1,root_owner=0:0",
    tmp,
  ]);
  await rename(tmp, path);
}

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
        if (bytes > quotaBytes)
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
