/**
 * Cgroups on this host, for the resource limits (limits.ts plans them): finding
 * a writable memory + pids hierarchy at start-up (cgroup v1, else v2) under the
 * host process's own cgroup, and creating and removing one cgroup per Sandbox.
 */
import { mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type CgroupFlavor,
  type CgroupPlan,
  cgroupDir,
  cgroupMounts,
  cgroupPlan,
  type LimitValues,
  ownCgroups,
} from "./limits.ts";
import { exists } from "./system.ts";

/** The host's base cgroups, one per hierarchy, that every Sandbox's cgroup goes under. */
export function baseDirs(flavor: CgroupFlavor | null): string[] {
  if (!flavor) return [];
  return flavor.kind === "v1" ? [flavor.memoryBase, flavor.pidsBase] : [flavor.base];
}

export /** A writable memory + pids hierarchy (v1 first, then v2), with the host's base cgroup made and tried. */
async function findCgroups(
  name: string,
  limits: LimitValues,
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

export async function createCgroup(plan: CgroupPlan): Promise<void> {
  for (const dir of plan.dirs) await mkdir(dir, { recursive: true });
  for (const [file, value] of plan.writes) await writeFile(file, value);
}

export /** rmdir of cgroups; a cgroup whose last processes are still exiting is retried briefly. */
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
