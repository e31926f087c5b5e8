/**
 * The effects of the resource limits in limits.ts: finding out at start-up what this machine
 * can enforce (a writable cgroup v1 or v2 memory + pids hierarchy, loop-mounted ext4), one
 * cgroup per Sandbox (created at its first command, removed when it sleeps or is destroyed),
 * its scratch filesystem for /home/sandbox and /tmp, and the workspace watch. This module
 * probes the host and hands out one SandboxLimiter (sandbox-limiter.ts) per Sandbox; the
 * cgroups and the scratch images have their own modules (cgroups-host.ts, scratch-image.ts).
 *
 * Cgroups go under the host process's own cgroup in each hierarchy (`<own>/nightshift-<hash of
 * the state dir>/<sandbox>`), so whatever limits the host itself is under still holds for its
 * Sandboxes, and two hosts on one machine do not share cgroups.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { baseDirs, findCgroups, removeCgroup } from "./cgroups-host.ts";
import { type CgroupFlavor, cgroupPlan, type LimitsHealth } from "./limits.ts";
import { type LimitsOptions, SandboxLimiter } from "./sandbox-limiter.ts";
import { probeScratch } from "./scratch-image.ts";

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
