/**
 * Pure: the resource limits of one Sandbox, held by the kernel while a command runs (issue 15,
 * item 9) — which cgroup files to write, the argv prefix that puts a command into its
 * Sandbox's cgroup before it execs anything, how the kernel's OOM counter reads, and how the
 * host describes what it enforces. The effects (mkdir/rmdir of cgroups, loop-mounted scratch
 * filesystems, the workspace watch) are in limits-host.ts and the modules it uses
 * (cgroups-host.ts, scratch-image.ts, sandbox-limiter.ts).
 *
 * What each limit is held by:
 * - memory: a memory cgroup per Sandbox (`memory.limit_in_bytes` + `memory.memsw.limit_in_bytes`
 *   on cgroup v1, `memory.max` + `memory.swap.max` on v2); the kernel's OOM killer ends a
 *   process that allocates past it, and the host reports a `killed` error naming the limit.
 * - processes: a pids cgroup per Sandbox (`pids.max`, threads included): `fork` fails with
 *   EAGAIN past it, inside that Sandbox only.
 * - /home/sandbox and /tmp: one loop-mounted ext4 image per Sandbox (sparse, `scratchBytes`):
 *   a write past it gets ENOSPC from the filesystem.
 * - /workspace: RLIMIT_FSIZE at `quotaBytes` (a single file past it: SIGXFSZ / EFBIG), and a
 *   watch of the overlay's upper dir while a command runs, which kills the Sandbox's commands
 *   once the bytes written since the last snapshot or restore pass `quotaBytes` (plus 64 KiB of
 *   slack for directories; measured with
 *   `du` on a cadence, and at once when the host filesystem's free space drops fast).
 */

export type CgroupFlavor =
  /** cgroup v1: one hierarchy per controller; `memsw`: the kernel offers a memory + swap limit. */
  | { kind: "v1"; memoryBase: string; pidsBase: string; memsw: boolean }
  /** cgroup v2: one hierarchy; `swap`: `memory.swap.max` exists. */
  | { kind: "v2"; base: string; swap: boolean };

export interface LimitValues {
  memoryBytes: number;
  maxProcesses: number;
}

/** What one Sandbox's cgroup is made of: directories to create, files to write, where pids go. */
export interface CgroupPlan {
  /** Created in order, removed in reverse. */
  dirs: string[];
  /** Written in order (v1: the memory limit before memory + swap, which may not be below it). */
  writes: [file: string, value: string][];
  /** A pid written here joins the Sandbox's cgroup (one file per hierarchy). */
  procs: string[];
  /** Holds the OOM killer's counter (`oom_kill N`). */
  oomFile: string;
}

/** The cgroup of Sandbox `name` under the host's base cgroup(s) (pure). */
export function cgroupPlan(flavor: CgroupFlavor, name: string, limits: LimitValues): CgroupPlan {
  if (flavor.kind === "v1") {
    const mem = `${flavor.memoryBase}/${name}`;
    const pids = `${flavor.pidsBase}/${name}`;
    const writes: [string, string][] = [[`${mem}/memory.limit_in_bytes`, String(limits.memoryBytes)]];
    if (flavor.memsw) writes.push([`${mem}/memory.memsw.limit_in_bytes`, String(limits.memoryBytes)]);
    writes.push([`${pids}/pids.max`, String(limits.maxProcesses)]);
    return {
      dirs: [mem, pids],
      writes,
      procs: [`${mem}/cgroup.procs`, `${pids}/cgroup.procs`],
      oomFile: `${mem}/memory.oom_control`,
    };
  }
  const dir = `${flavor.base}/${name}`;
  const writes: [string, string][] = [[`${dir}/memory.max`, String(limits.memoryBytes)]];
  if (flavor.swap) writes.push([`${dir}/memory.swap.max`, "0"]);
  writes.push([`${dir}/pids.max`, String(limits.maxProcesses)]);
  return { dirs: [dir], writes, procs: [`${dir}/cgroup.procs`], oomFile: `${dir}/memory.events` };
}

/**
 * The argv that runs before everything else of a command (before `nsenter`, before bwrap): a
 * shell writes its own pid into each of `procs`, caps the size of any file written at
 * `fsizeBytes`, then execs the rest in place. The process is in the cgroup before the program
 * that follows starts, so nothing it forks escapes; the pid stays the one the host kills.
 *
 * @example
 * spawn(...[...limitsPrefix(["/sys/fs/cgroup/pids/ns/a/cgroup.procs"], 1 << 30), "bwrap", ...args])
 */
export function limitsPrefix(procs: readonly string[], fsizeBytes: number | null): string[] {
  // `ulimit -f` counts 512-byte blocks in POSIX sh (dash).
  const blocks = fsizeBytes === null ? "unlimited" : String(Math.ceil(fsizeBytes / 512));
  const script =
    'b=$1; shift; while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; ' +
    'ulimit -f "$b" || exit 125; exec "$@"';
  return ["/bin/sh", "-c", script, "nightshift-limits", blocks, ...procs, "--"];
}

/** The OOM killer's counter in `memory.oom_control` (v1) or `memory.events` (v2); 0 when absent. */
export function parseOomKills(text: string): number {
  const match = /^oom_kill (\d+)$/m.exec(text);
  return match ? Number.parseInt(match[1]!, 10) : 0;
}

/** Where this process sits in each hierarchy, from /proc/self/cgroup (pure). */
export function ownCgroups(procSelfCgroup: string): { v1: Map<string, string>; v2: string | null } {
  const v1 = new Map<string, string>();
  let v2: string | null = null;
  for (const line of procSelfCgroup.split("\n")) {
    const [id, controllers, path] = line.split(":", 3) as [string, string | undefined, string | undefined];
    if (path === undefined || controllers === undefined) continue;
    if (id === "0" && controllers === "") v2 = path;
    for (const c of controllers.split(",")) if (c) v1.set(c, path);
  }
  return { v1, v2 };
}

/** A cgroup mount from /proc/self/mountinfo: where it is, its root, and its type (pure). */
export interface CgroupMount {
  point: string;
  root: string;
  type: "cgroup" | "cgroup2";
  options: string[];
}

export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const fields = left.split(" ");
    const [type, , superOptions] = right.split(" ");
    if (type !== "cgroup" && type !== "cgroup2") continue;
    out.push({ point: fields[4]!, root: fields[3]!, type, options: (superOptions ?? "").split(",") });
  }
  return out;
}

/** The directory of cgroup `path` (as /proc/self/cgroup names it) on `mount` (pure). */
export function cgroupDir(mount: CgroupMount, path: string): string {
  const inside = mount.root !== "/" && path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
  return `${mount.point}${inside === "/" ? "" : inside}`.replace(/\/+$/, "");
}

/** What the host enforces, as `/health` shows it; a null limit is not enforced, `reason` says why. */
export interface LimitsHealth {
  memoryBytes: number | null;
  maxProcesses: number | null;
  cgroup: "v1" | "v2" | null;
  /** /home/sandbox + /tmp: size of each Sandbox's scratch filesystem, or null (plain host directories). */
  scratchBytes: number | null;
  /** /workspace: RLIMIT_FSIZE and the upper-dir watch while commands run, plus `du` after each call. */
  workspaceBytes: number;
  fallbackReasons: string[];
}

/** The start-up line's part about limits; `FALLBACK` when something is not enforced (pure). */
export function describeLimits(h: LimitsHealth): string {
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  const parts = [
    h.memoryBytes === null ? "memory UNLIMITED" : `memory ${mib(h.memoryBytes)}`,
    h.maxProcesses === null ? "processes UNLIMITED" : `processes ${h.maxProcesses}`,
    h.scratchBytes === null ? "home+tmp UNLIMITED" : `home+tmp ${mib(h.scratchBytes)}`,
    `workspace ${mib(h.workspaceBytes)}`,
  ];
  const cgroup = h.cgroup ? ` (cgroup ${h.cgroup})` : "";
  const fallback = h.fallbackReasons.length ? ` (FALLBACK: ${h.fallbackReasons.join("; ")})` : "";
  return `limits ${parts.join(", ")}${cgroup}${fallback}`;
}

/** The error message of a command the OOM killer ended (pure). */
export function oomMessage(memoryBytes: number, exitCode: number): string {
  return (
    `memory limit of ${Math.round(memoryBytes / 2 ** 20)} MiB reached: the kernel's OOM killer ended ` +
    `a process of this Sandbox (command exit code ${exitCode})`
  );
}

/**
 * How long the workspace watch waits before measuring again: ten times what the last
 * measurement took (so `du` over a large upper dir costs at most ~10% of a core), between
 * 200 ms and 5 s (pure).
 */
export function watchDelayMs(lastMeasureMs: number): number {
  return Math.min(5000, Math.max(200, Math.round(lastMeasureMs * 10)));
}

/** How often the watch looks at the host filesystem's free space (`statfs`, no process). */
export const WATCH_POLL_MS = 50;

/**
 * Whether the watch measures the upper dir now (pure): on its regular cadence, or sooner when
 * the filesystem holding it lost more free space since the last measurement than half of what
 * the quota has left (other writers on that filesystem can only make it measure early, never
 * kill: the kill follows the measurement), but never more than half of the time.
 */
export function shouldMeasure(s: {
  quotaBytes: number;
  lastBytes: number;
  freeAtLast: number;
  freeNow: number;
  lastMeasureMs: number;
  sinceMs: number;
}): boolean {
  if (s.sinceMs >= watchDelayMs(s.lastMeasureMs)) return true;
  const used = s.freeAtLast - s.freeNow;
  return used > (s.quotaBytes - s.lastBytes) / 2 && s.sinceMs >= s.lastMeasureMs;
}
