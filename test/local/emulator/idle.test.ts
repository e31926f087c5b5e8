/**
 * Idle Workers give their workerd process back: after the idle period the
 * process is gone, the next request starts it again and gets the right
 * answer, a request that arrives while the idle Worker is being disposed is
 * served by a fresh start, and a Worker still starting when the emulator
 * stops does not outlive it.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import type { HostSpec } from "../../../src/local/emulator/miniflare-options.ts";
import { WorkerHost } from "../../../src/local/emulator/runtime.ts";
import { getWithHost, provisionAccount, uploadWorker, waitFor } from "./support.ts";

/** A Worker naming its own instance (drawn on its first request, so new per workerd start). */
const INSTANCE_WORKER = `let instance;
export default { fetch() { instance ??= crypto.randomUUID(); return new Response("hello " + instance); } };`;

/** The workerd processes below this one (Miniflare starts one per running Worker). */
function workerdProcesses(): number {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      parents.set(Number(entry), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parents.get(pid); p; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...names].filter(([pid, name]) => name === "workerd" && below(pid)).length;
}

/** The instance Worker as a WorkerHost spec, persisting under `dir`. */
function instanceSpec(dir: string): HostSpec {
  return {
    accountId: "a",
    script: "s",
    versionId: "v1",
    modules: [{ name: "index.js", type: "ESModule", contents: new TextEncoder().encode(INSTANCE_WORKER) }],
    mainModule: "index.js",
    bodyPart: null,
    compatibilityDate: "2025-01-01",
    compatibilityFlags: [],
    bindings: [],
    assets: null,
    persistDir: dir,
  };
}

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ log: () => {}, workerIdleMs: 400 });
});

afterAll(async () => {
  await emu.close();
  rmSync(emu.stateDir, { recursive: true, force: true });
});

test("an idle Worker's workerd stops; the next request starts it again and is answered", async () => {
  const account = await provisionAccount(emu);
  const uploaded = await uploadWorker(emu, account, "idler", INSTANCE_WORKER);
  expect(uploaded.status).toBe(200);
  const host = `idler.${account.subdomain}.workers.dev`;
  const first = await getWithHost(emu.url, host, "/");
  expect(first.status).toBe(200);
  expect(first.body).toMatch(/^hello [0-9a-f-]{36}$/);
  expect(emu.runningWorkers()).toBe(1);
  expect(workerdProcesses()).toBeGreaterThanOrEqual(1);

  await waitFor(async () => emu.runningWorkers() === 0 && workerdProcesses() === 0, 50);

  const again = await getWithHost(emu.url, host, "/");
  expect(again.status).toBe(200);
  expect(again.body).toMatch(/^hello [0-9a-f-]{36}$/);
  // A new workerd: the module ran again.
  expect(again.body).not.toBe(first.body);
  expect(emu.runningWorkers()).toBe(1);
  expect(workerdProcesses()).toBeGreaterThanOrEqual(1);
});

test("a Worker still starting when the host stops is disposed, not left running", async () => {
  const workers = new WorkerHost();
  const before = workerdProcesses();
  const starting = workers.start(instanceSpec(emu.stateDir));
  await workers.stopAll();
  const result = await starting;
  expect(result).toEqual({ ok: false, error: "the emulator is stopping" });
  expect(workers.runningCount).toBe(0);
  expect(workerdProcesses()).toBeLessThanOrEqual(before);
});

test("a request that arrives while its idle Worker is being disposed is served by a fresh start", async () => {
  let clock = 0;
  // The idle period passes only when the test moves this clock.
  const workers = new WorkerHost({ idleMs: 1000, now: () => clock });
  const spec = () => instanceSpec(emu.stateDir);
  try {
    const first = await workers.lease("a/s", "v1", spec);
    if (!first.ok) throw new Error(first.error);
    const before = await (await fetch(first.worker.url)).text();
    first.release();

    // Still in use while a lease is held: not disposed however long it waits.
    const held = await workers.lease("a/s", "v1", spec);
    if (!held.ok) throw new Error(held.error);
    clock += 5000;
    workers.disposeIdle();
    expect(workers.runningCount).toBe(1);
    held.release();

    clock += 5000;
    workers.disposeIdle(); // removed now, its workerd still stopping
    expect(workers.runningCount).toBe(0);
    const during = await workers.lease("a/s", "v1", spec);
    if (!during.ok) throw new Error(during.error);
    const answer = await fetch(during.worker.url);
    expect(answer.status).toBe(200);
    const after = await answer.text();
    expect(after).toMatch(/^hello /);
    expect(after).not.toBe(before);
    during.release();
    await expect(fetch(first.worker.url)).rejects.toThrow();
  } finally {
    await workers.stopAll();
  }
});
