/**
 * What the local host promises beyond the port contract: it refuses to run
 * unconfined unless told to, reports its snapshot mode, puts idle Sandboxes
 * to sleep, keeps snapshots across restarts, shares layers between
 * consecutive snapshots, checks the snapshot marker and restores in one call,
 * collects garbage by policy, squashes deep stacks without changing a
 * snapshot's files, and enforces the disk quota.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLocalSandboxProvider } from "../../../src/adapters/sandbox/local.ts";
import { type SandboxHostOptions, startSandboxHost } from "../../../src/local/sandbox-host/index.ts";
import type { SnapshotRecord } from "../../../src/local/sandbox-host/layer-policy.ts";
import { isSandboxError, type Sandbox, type SandboxStatus } from "../../../src/ports/sandbox.ts";
import { manifest } from "../../ports/sandbox.contract.ts";
import { removeStateDir, tempStateDir } from "./host-process.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function host(options: SandboxHostOptions = {}) {
  const stateDir = options.stateDir ?? tempStateDir("host");
  const h = await startSandboxHost({ port: 0, log: () => {}, ...options, stateDir });
  let closed = false;
  const close = async () => {
    if (!closed) await h.close();
    closed = true;
  };
  cleanups.push(async () => {
    await close();
    if (!options.stateDir) removeStateDir(stateDir);
  });
  return { ...h, close, stateDir, provider: createLocalSandboxProvider({ url: h.url, secret: h.secret }) };
}

function record(stateDir: string, id: string): SnapshotRecord {
  return JSON.parse(readFileSync(join(stateDir, "snapshots", `${id}.json`), "utf8")) as SnapshotRecord;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
}

describe("local Sandbox host", () => {
  it("refuses to start without bubblewrap, and starts unconfined only when told to, saying so", async () => {
    const stateDir = tempStateDir("nobwrap");
    cleanups.push(async () => removeStateDir(stateDir));
    await expect(
      startSandboxHost({ port: 0, stateDir, bwrapPath: "/nonexistent/bwrap", log: () => {} }),
    ).rejects.toThrow(/bubblewrap \(bwrap\) not found/);
    const lines: string[] = [];
    const h = await startSandboxHost({
      port: 0,
      stateDir,
      bwrapPath: "/nonexistent/bwrap",
      unsafeNoBwrap: true,
      log: (l) => lines.push(l),
    });
    cleanups.push(() => h.close());
    expect(h.health.isolation).toBe("unsafe-no-isolation");
    expect(lines.join("\n")).toMatch(/NOT FOUND.*UNCONFINED/);
    const box = createLocalSandboxProvider({ url: h.url, secret: h.secret }).get("unsafe");
    await box.writeFile("f.txt", "x");
    expect((await box.exec("cat f.txt")).stdout).toBe("x");
  });

  it("reports overlay snapshots in /health, or the copy fallback and why", async () => {
    const overlay = await host();
    const health = (await (await fetch(`${overlay.url}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({
      ok: true,
      isolation: "bwrap",
      snapshots: "overlay",
      snapshotsFallbackReason: null,
    });
    const lines: string[] = [];
    const copy = await host({ snapshotMode: "copy", log: (l) => lines.push(l) });
    expect(copy.health).toMatchObject({ snapshots: "copy", snapshotsFallbackReason: "copy mode requested" });
    expect(lines.join("\n")).toContain("snapshots copy (FALLBACK");
  });

  it("puts an idle Sandbox to sleep (processes stopped, files kept) and wakes it on the next call", async () => {
    const h = await host({ idleMs: 300 });
    const box = h.provider.get("sleepy");
    await box.writeFile("kept.txt", "still here");
    await box.startProcess("sleep 600", { processId: "long" });
    await until(async () => (await box.status()).state === "sleeping");
    expect((await box.getProcess("long")).status).toBe("killed");
    expect(await box.readFile("kept.txt")).toBe("still here");
    expect((await box.status()).state).toBe("awake");
  });

  it("keeps snapshots across a host restart", async () => {
    const stateDir = tempStateDir("restart");
    cleanups.push(async () => removeStateDir(stateDir));
    const first = await host({ stateDir });
    const box = first.provider.get("persist");
    await box.writeFile("a.txt", "1");
    const snap = await box.snapshot({ pin: true });
    await box.writeFile("a.txt", "2");
    await first.close();
    const second = await host({ stateDir });
    const again = second.provider.get("persist");
    expect(await again.readFile("a.txt")).toBe("2");
    expect((await second.provider.listSnapshots()).map((s) => [s.id, s.pinned])).toEqual([[snap.id, true]]);
    await again.restore(snap.id);
    expect(await again.readFile("a.txt")).toBe("1");
  });

  it("lets consecutive snapshots share every layer but the newest; an unchanged workspace adds none", async () => {
    const h = await host();
    const box = h.provider.get("layers");
    await box.exec("mkdir -p node_modules/big && head -c 1000000 /dev/urandom > node_modules/big/blob");
    const s1 = await box.snapshot();
    await box.writeFile("src/app.js", "change");
    const s2 = await box.snapshot();
    const s3 = await box.snapshot();
    const [r1, r2, r3] = [s1, s2, s3].map((s) => record(h.stateDir, s.id));
    expect(r2!.layers.slice(1)).toEqual(r1!.layers);
    expect(r2!.layers).toHaveLength(r1!.layers.length + 1);
    expect(r3!.layers).toEqual(r2!.layers);
    await until(async () => (await box.listSnapshots()).every((s) => s.sizeBytes !== null));
    const sizes = Object.fromEntries((await box.listSnapshots()).map((s) => [s.id, s.sizeBytes!]));
    expect(sizes[s1.id]).toBeGreaterThan(1_000_000);
    expect(sizes[s2.id]).toBeLessThan(100_000);
  });

  it("checks the marker and restores in one call, only when the workspace is not the snapshot", async () => {
    const h = await host();
    const box = h.provider.get("ensure") as Sandbox & { ensureAtSnapshot(id: string): Promise<boolean> };
    await box.writeFile("a.txt", "1");
    const snap = await box.snapshot();
    expect(await box.ensureAtSnapshot(snap.id)).toBe(false);
    expect(await box.readFile("a.txt")).toBe("1");
    await box.writeFile("a.txt", "2");
    expect((await box.status()).snapshotId).toBeNull();
    expect(await box.ensureAtSnapshot(snap.id)).toBe(true);
    expect(await box.readFile("a.txt")).toBe("1");
    expect((await box.status()).snapshotId).toBe(snap.id);
    // A Sandbox that does not exist yet is created from the snapshot, as restore does.
    const other = h.provider.get("ensure-fresh") as typeof box;
    expect(await other.ensureAtSnapshot(snap.id)).toBe(true);
    expect(await other.readFile("a.txt")).toBe("1");
  });

  it("queues the check without waiting: the next call finds the workspace restored", async () => {
    const h = await host();
    const box = h.provider.get("soon") as Sandbox & {
      ensureAtSnapshotSoon(id: string): Promise<void>;
    };
    await box.writeFile("a.txt", "1");
    const snap = await box.snapshot();
    await box.exec([
      "sh",
      "-c",
      "mkdir -p .wrangler/tmp && echo out > .wrangler/tmp/bundle.js && echo 2 > a.txt",
    ]);
    await box.ensureAtSnapshotSoon(snap.id);
    // The very next call is queued behind the restore, whatever it is.
    expect(await box.readFile("a.txt")).toBe("1");
    expect((await box.listFiles(".")).map((f) => f.path)).not.toContain(".wrangler");
    expect((await box.status()).snapshotId).toBe(snap.id);
    // A snapshot that does not exist: answered at once, and the next check reports it.
    await box.ensureAtSnapshotSoon("snap-missing");
    await expect(
      (box as unknown as { ensureAtSnapshot(id: string): Promise<boolean> }).ensureAtSnapshot("snap-missing"),
    ).rejects.toMatchObject({ code: "not_found" });
    expect(await box.readFile("a.txt")).toBe("1");
  });

  it("collects old snapshots by policy (newest N plus pinned) and the layers nothing refers to", async () => {
    const h = await host({ keepSnapshots: 2 });
    const box = h.provider.get("gc");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      await box.writeFile(`f${i}.txt`, String(i));
      ids.push((await box.snapshot({ pin: i === 0 })).id);
    }
    await until(async () => (await box.listSnapshots()).length === 3);
    expect((await box.listSnapshots()).map((s) => s.id)).toEqual([ids[4], ids[3], ids[0]]);
    await box.restore(ids[3]!);
    expect(await manifest(box)).toContain("f3.txt");
    expect(await manifest(box)).not.toContain("f4.txt");
    await h.provider.pinSnapshot(ids[0]!, false);
    await until(async () => (await box.listSnapshots()).length === 2);
    // A branch: from ids[3], two new snapshots push ids[4] out; its own layer is then garbage.
    const abandoned = record(h.stateDir, ids[4]!).layers[0]!;
    await box.writeFile("branch.txt", "b1");
    const b1 = await box.snapshot();
    await box.writeFile("branch.txt", "b2");
    const b2 = await box.snapshot();
    await until(async () => !existsSync(join(h.stateDir, "l", abandoned)));
    expect((await box.listSnapshots()).map((s) => s.id)).toEqual([b2.id, b1.id]);
    // Every layer of the kept snapshots is still there.
    for (const layer of record(h.stateDir, b2.id).layers)
      expect(existsSync(join(h.stateDir, "l", layer))).toBe(true);
    await box.restore(b1.id);
    expect(await box.readFile("branch.txt")).toBe("b1");
  });

  it("squashes a deep stack into one layer holding the same files", async () => {
    const h = await host({ keepSnapshots: 30 });
    const box = h.provider.get("deep");
    let last = "";
    for (let i = 0; i < 16; i++) {
      // additions, rewrites, deletions and a directory deleted then recreated (an opaque dir)
      await box.exec(`mkdir -p d${i} && echo ${i} > d${i}/f && echo ${i} > same && rm -rf d${i - 2} && 
        rm -rf re && mkdir -p re && echo ${i} > re/only-${i}`);
      last = (await box.snapshot()).id;
    }
    const expected = await manifest(box);
    await until(async () => record(h.stateDir, last).layers.length === 1);
    const fresh = h.provider.get("deep-restored");
    await fresh.restore(last);
    expect(await manifest(fresh)).toBe(expected);
    await box.writeFile("after-squash.txt", "x");
    const next = record(h.stateDir, (await box.snapshot()).id);
    expect(next.layers.length).toBeLessThanOrEqual(2);
  });

  it("refuses mutating calls over the disk quota until files are deleted", async () => {
    const h = await host({ quotaBytes: 200_000 });
    const box = h.provider.get("quota");
    await box.exec("head -c 500000 /dev/zero > big");
    await until(async () => ((await box.status()) as SandboxStatus).diskUsageBytes !== null);
    const error = await box.writeFile("more.txt", "x").then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSandboxError(error, "quota_exceeded")).toBe(true);
    await box.deleteFile("big");
    await box.writeFile("more.txt", "x");
    expect(readdirSync(join(h.stateDir, "sandboxes", "quota"))).toContain("ws");
  });
});
