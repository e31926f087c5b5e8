/**
 * Host system calls the Sandbox host needs and Node does not offer: overlay
 * mounts, unmounts, the list of mounts left behind by a killed host, disk
 * usage, and probes for bubblewrap and overlay support at start-up.
 */
import { execFile } from "node:child_process";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { overlayMountData } from "./layer-policy.ts";

const run = promisify(execFile);

export async function mountOverlay(opts: {
  lowers: readonly string[];
  upper: string;
  work: string;
  target: string;
  volatile?: boolean;
}): Promise<void> {
  const data = overlayMountData(opts);
  await run("mount", ["-t", "overlay", "overlay", "-o", data, opts.target]);
}

/** Unmounts; falls back to a lazy unmount when something still holds the mount. */
export async function unmount(target: string): Promise<void> {
  try {
    await run("umount", [target]);
  } catch {
    await run("umount", ["-l", target]).catch(() => undefined);
  }
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mountinfo). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  const points = text
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Whether `path` exists (any error reading it counts as no). */
export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await mountsUnder(dir)).includes(dir);
}

/** Flushes the filesystem holding `path` to disk (syncfs); used in the background after a snapshot. */
export async function syncFilesystem(path: string): Promise<void> {
  await run("sync", ["-f", path]);
}

/** Apparent size of a directory tree in bytes (hard-linked files counted once). */
export async function diskUsage(dir: string): Promise<number> {
  const { stdout } = await run("du", ["-sb", dir], { maxBuffer: 1 << 20 });
  return Number.parseInt(stdout.split("\t")[0] ?? "0", 10);
}

/** Copies a tree preserving everything (reflinks where the filesystem has them). */
export async function copyTree(from: string, to: string): Promise<void> {
  await run("cp", ["-a", "--reflink=auto", from, to]);
}

/** Resolves the path of an executable on PATH, or null. */
export async function which(program: string): Promise<string | null> {
  try {
    const { stdout } = await run("sh", ["-c", `command -v ${program}`]);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

/**
 * Tries real overlay mounts in `scratch`: returns why they are refused, or whether the
 * `volatile` option (kernel ≥ 5.10) works too.
 */
export async function probeOverlay(scratch: string): Promise<{ refused: string } | { volatile: boolean }> {
  await mkdir(scratch, { recursive: true });
  const dir = await mkdtemp(join(scratch, "probe-"));
  const [lower, upper, work, merged] = ["l", "u", "w", "m"].map((d) => join(dir, d)) as [
    string,
    string,
    string,
    string,
  ];
  try {
    for (const d of [lower, upper, work, merged]) await mkdir(d);
    await writeFile(join(lower, "f"), "x");
    await mountOverlay({ lowers: [lower], upper, work, target: merged });
    await unmount(merged);
  } catch (error) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    return { refused: error instanceof Error ? error.message.split("\n")[0]! : String(error) };
  }
  try {
    await rm(work, { recursive: true, force: true });
    await mkdir(work);
    await mountOverlay({ lowers: [lower], upper, work, target: merged, volatile: true });
    await unmount(merged);
    return { volatile: true };
  } catch {
    return { volatile: false };
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
