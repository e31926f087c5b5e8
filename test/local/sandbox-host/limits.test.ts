/**
 * Resource limits hold while a command runs, not after it (issue 15, item 9): code inside a real
 * Sandbox (real bwrap, real cgroups, real loop-mounted filesystems) forks 2000 processes,
 * allocates past the memory limit and writes past the disk limits of /tmp, /home/sandbox and
 * /workspace. Each stops at its limit, during the command, and the host and other Sandboxes keep
 * working. The limits are small here so the attempts are quick.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalSandboxProvider } from "../../../src/adapters/sandbox/local.ts";
import { type SandboxHost, startSandboxHost } from "../../../src/local/sandbox-host/index.ts";
import {
  cgroupDir,
  cgroupMounts,
  cgroupPlan,
  describeLimits,
  limitsPrefix,
  ownCgroups,
  parseOomKills,
  shouldMeasure,
} from "../../../src/local/sandbox-host/limits.ts";
import { isSandboxError, type SandboxProvider } from "../../../src/ports/sandbox.ts";
import { removeStateDir, tempStateDir } from "./host-process.ts";

const MiB = 2 ** 20;
const LIMITS = { memoryBytes: 192 * MiB, maxProcesses: 64, scratchBytes: 16 * MiB, quotaBytes: 32 * MiB };

async function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => null,
    (e: unknown) => e,
  );
}

/** Bytes the host filesystem holds for `dir`, not crossing into mounts (the Sandbox's own filesystems). */
function hostBytes(dir: string): number {
  return Number.parseInt(execFileSync("du", ["-sxB1", dir], { encoding: "utf8" }).split("\t")[0]!, 10);
}

/** The cgroup directories named `name` in the host's pids and memory hierarchies. */
function cgroupsNamed(name: string): string[] {
  const out = execFileSync("find", ["/sys/fs/cgroup", "-maxdepth", "6", "-type", "d", "-name", name], {
    encoding: "utf8",
  });
  return out.split("\n").filter(Boolean);
}

describe("resource limit plans (pure)", () => {
  it("plans a cgroup v1 memory + swap and pids cgroup, and a v2 one", () => {
    const v1 = cgroupPlan({ kind: "v1", memoryBase: "/m/ns", pidsBase: "/p/ns", memsw: true }, "a", LIMITS);
    expect(v1.writes).toEqual([
      ["/m/ns/a/memory.limit_in_bytes", String(192 * MiB)],
      ["/m/ns/a/memory.memsw.limit_in_bytes", String(192 * MiB)],
      ["/p/ns/a/pids.max", "64"],
    ]);
    expect(v1.procs).toEqual(["/m/ns/a/cgroup.procs", "/p/ns/a/cgroup.procs"]);
    const v2 = cgroupPlan({ kind: "v2", base: "/u/ns", swap: true }, "a", LIMITS);
    expect(v2.writes).toEqual([
      ["/u/ns/a/memory.max", String(192 * MiB)],
      ["/u/ns/a/memory.swap.max", "0"],
      ["/u/ns/a/pids.max", "64"],
    ]);
    expect(v2.oomFile).toBe("/u/ns/a/memory.events");
  });

  it("joins every cgroup before exec: the program that follows runs with the pid written", () => {
    const dir = tempStateDir("prefix");
    try {
      const procs = [join(dir, "one"), join(dir, "two")];
      for (const p of procs) writeFileSync(p, "");
      const [program, ...args] = [...limitsPrefix(procs, 1 << 20), "/bin/sh", "-c", "echo $$; ulimit -f"];
      const [pid, blocks] = execFileSync(program!, args, { encoding: "utf8" }).trim().split("\n");
      for (const p of procs) expect(execFileSync("cat", [p], { encoding: "utf8" }).trim()).toBe(pid);
      expect(blocks).toBe("2048");
    } finally {
      removeStateDir(dir);
    }
  });

  it("measures the workspace on a cadence, and at once when the host disk's free space drops fast", () => {
    const base = { quotaBytes: 100, lastBytes: 40, freeAtLast: 1000, lastMeasureMs: 10 };
    expect(shouldMeasure({ ...base, freeNow: 1000, sinceMs: 150 })).toBe(false);
    expect(shouldMeasure({ ...base, freeNow: 1000, sinceMs: 200 })).toBe(true);
    // 31 bytes gone with 60 left under the quota: more than half, measure now...
    expect(shouldMeasure({ ...base, freeNow: 969, sinceMs: 50 })).toBe(true);
    expect(shouldMeasure({ ...base, freeNow: 971, sinceMs: 50 })).toBe(false);
    // ...but never more than half of the time.
    expect(shouldMeasure({ ...base, freeNow: 0, sinceMs: 5 })).toBe(false);
  });

  it("reads the OOM counter, this process's cgroups, and says FALLBACK for what is not enforced", () => {
    expect(parseOomKills("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")).toBe(3);
    expect(parseOomKills("low 0\nhigh 0\n")).toBe(0);
    const own = ownCgroups("8:pids:/\n4:memory:/a/b\n0::/init.scope\n");
    expect(own.v1.get("memory")).toBe("/a/b");
    expect(own.v2).toBe("/init.scope");
    const [mount] = cgroupMounts(
      "40 30 0:35 / /sys/fs/cgroup/memory rw,nosuid shared:15 - cgroup cgroup rw,memory\n",
    );
    expect(mount).toMatchObject({ point: "/sys/fs/cgroup/memory", type: "cgroup" });
    expect(cgroupDir(mount!, "/a/b")).toBe("/sys/fs/cgroup/memory/a/b");
    const line = describeLimits({
      memoryBytes: null,
      maxProcesses: null,
      cgroup: null,
      scratchBytes: 16 * MiB,
      workspaceBytes: 32 * MiB,
      fallbackReasons: ["no memory/process limits: cgroup not writable"],
    });
    expect(line).toMatch(/memory UNLIMITED.*FALLBACK: no memory\/process limits/);
  });
});

describe("resource limits inside a real Sandbox", () => {
  let host: SandboxHost;
  let provider: SandboxProvider;
  let stateDir: string;
  const lines: string[] = [];

  beforeAll(async () => {
    stateDir = tempStateDir("limits");
    host = await startSandboxHost({
      port: 0,
      stateDir,
      ...LIMITS,
      resourceLimits: "require",
      log: (l) => lines.push(l),
    });
    provider = createLocalSandboxProvider({ url: host.url, secret: host.secret });
  });
  afterAll(async () => {
    await host?.close();
    if (stateDir) removeStateDir(stateDir);
  });

  it("says in /health and the start-up line which limits it enforces", async () => {
    const health = (await (await fetch(`${host.url}/health`)).json()) as { limits: unknown };
    expect(health.limits).toMatchObject({
      memoryBytes: 192 * MiB,
      maxProcesses: 64,
      scratchBytes: 16 * MiB,
      workspaceBytes: 32 * MiB,
      fallbackReasons: [],
    });
    expect(lines.join("\n")).toMatch(
      /limits memory 192 MiB, processes 64, home\+tmp 16 MiB, workspace 32 MiB/,
    );
    expect(lines.join("\n")).not.toMatch(/FALLBACK/);
  });

  it("stops a fork bomb at the process limit; the host and other Sandboxes keep working", async () => {
    const bomb = provider.get("bomb");
    await bomb.writeFile(
      "bomb.js",
      `const { spawn } = require("node:child_process");
let started = 0, failed = 0, pending = 2000;
const done = () => { if (--pending === 0) console.log("started " + started + " failed " + failed); };
for (let i = 0; i < 2000; i++) {
  const c = spawn("sleep", ["30"], { stdio: "ignore" });
  c.on("spawn", () => { started++; done(); });
  c.on("error", () => { failed++; done(); });
}
setTimeout(() => {}, 60000);`,
    );
    const proc = await bomb.startProcess("node bomb.js");
    const { line } = await bomb.waitForLog(proc.id, /^started \d+ failed \d+$/, { timeoutMs: 60_000 });
    const [, started, failed] = /started (\d+) failed (\d+)/.exec(line)!.map(Number);
    expect(started).toBeLessThan(LIMITS.maxProcesses);
    expect(failed).toBeGreaterThan(2000 - LIMITS.maxProcesses);
    // While the bomb holds every process it may have: another Sandbox forks freely, the host answers.
    const other = await provider
      .get("bystander")
      .exec("for i in 1 2 3 4 5 6 7 8; do sleep 0 & done; wait; echo ok");
    expect(other.stdout).toBe("ok\n");
    expect((await fetch(`${host.url}/health`)).status).toBe(200);
    // The bomb's own Sandbox cannot start another command until it is gone; then it can.
    expect((await bomb.exec("echo hi")).exitCode).not.toBe(0);
    await bomb.killProcess(proc.id);
    expect((await bomb.exec("echo again")).stdout).toBe("again\n");
  });

  it("kills a process allocating past the memory limit with a clear error; the Sandbox keeps working", async () => {
    const hog = provider.get("hog");
    const error = await failure(
      hog.exec(["node", "-e", "const a = []; for (;;) a.push(Buffer.alloc(1 << 20).fill(1));"], {
        timeoutMs: 60_000,
      }),
    );
    expect(isSandboxError(error, "killed")).toBe(true);
    expect((error as Error).message).toMatch(/memory limit of 192 MiB reached/);
    // A command that exits non-zero for other reasons is still a value.
    expect((await hog.exec("exit 3")).exitCode).toBe(3);
    expect((await hog.exec("echo fine")).stdout).toBe("fine\n");
  });

  for (const dir of ["/tmp", "/home/sandbox"]) {
    it(`fails a write past the disk limit of ${dir} while it writes; the host's disk does not grow`, async () => {
      const box = provider.get(`disk${dir.replaceAll("/", "-")}`);
      await box.exec("true");
      const before = hostBytes(stateDir);
      // Four times the limit in one file: the write itself gets ENOSPC.
      const result = await box.exec(`head -c ${4 * LIMITS.scratchBytes} /dev/zero > ${dir}/big`);
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(/No space left on device/);
      expect(hostBytes(stateDir) - before).toBeLessThanOrEqual(LIMITS.scratchBytes + MiB);
      // Freeing space inside makes room again.
      expect((await box.exec(`rm ${dir}/big && echo small > ${dir}/f && cat ${dir}/f`)).stdout).toBe(
        "small\n",
      );
    });
  }

  it("fails a single file written past the workspace quota as it is written", async () => {
    const box = provider.get("ws-one");
    const result = await box.exec(`head -c ${4 * LIMITS.quotaBytes} /dev/zero > /workspace/big`);
    expect(result.exitCode).toBe(128 + 25); // SIGXFSZ: RLIMIT_FSIZE
    expect(result.stderr).toMatch(/File size limit exceeded/);
    const upper = join(stateDir, "sandboxes", "ws-one", "upper", "big");
    expect(statSync(upper).size).toBeLessThanOrEqual(LIMITS.quotaBytes);
  });

  it("kills a command writing many files past the workspace quota while it runs", async () => {
    const box = provider.get("ws-many");
    // 1 MiB files, up to six times the quota, then a wait the quota must cut short.
    const error = await failure(
      box.exec(
        `i=0; while [ $i -lt ${6 * (LIMITS.quotaBytes / MiB)} ]; do head -c ${MiB} /dev/zero > f$i; i=$((i+1)); done; sleep 60; echo finished`,
        { timeoutMs: 120_000 },
      ),
    );
    expect(isSandboxError(error, "quota_exceeded")).toBe(true);
    expect((error as Error).message).toMatch(/disk quota exceeded/);
    // Over quota, mutating calls are refused until files are deleted.
    for (const f of (await box.listFiles("/workspace")).map((e) => e.path)) await box.deleteFile(f);
    expect((await box.exec("echo back")).stdout).toBe("back\n");
  });

  it("removes a Sandbox's cgroup and unmounts its /home and /tmp when it is destroyed", async () => {
    const box = provider.get("short-lived-limits");
    await box.exec("echo x > /tmp/x");
    expect(cgroupsNamed("short-lived-limits").length).toBeGreaterThan(0);
    await box.destroy();
    expect(cgroupsNamed("short-lived-limits")).toEqual([]);
    expect(existsSync(join(stateDir, "sandboxes", "short-lived-limits"))).toBe(false);
    expect(readdirSync(join(stateDir, "sandboxes"))).not.toContain("short-lived-limits");
  });
});
