/**
 * Benchmark: what the per-Sandbox resource limits (src/local/sandbox-host/limits.ts) cost on the
 * local host: a fresh Sandbox's first command (cgroup made, scratch image made and mounted), a
 * command in an awake Sandbox (the prefix that joins the cgroups), writing 200 MB in 20 000 files
 * into /workspace (the workspace watch runs `du` meanwhile), a snapshot after a one-file change,
 * a restore in the same Sandbox and into a destroyed one. Median of 7.
 *
 * Run: `npx tsx bench/limits.ts [TREE]` — TREE is another checkout of this repository (e.g. one
 * from before the limits, made with `git archive <commit> src | tar -x -C TREE` plus a link to
 * node_modules) to measure the same figures without them. Prints one JSON line; the figures in
 * docs/benchmarks.md ("Sandbox resource limits") come from alternating runs of both trees.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "./support.ts";

const RUNS = 7;
/** 20 000 files of 10 kB in 200 directories: the shape of an `npm ci`, without the registry. */
const WRITE = `const fs = require("fs");
for (let i = 0; i < 20000; i++) {
  fs.mkdirSync("m/d" + (i % 200), { recursive: true });
  fs.writeFileSync("m/d" + (i % 200) + "/f" + i, Buffer.alloc(10240, 1));
}`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export async function main(root = join(import.meta.dirname, "..")): Promise<Record<string, number>> {
  const { startSandboxHost } = (await import(
    join(root, "src/local/sandbox-host/index.ts")
  )) as typeof import("../src/local/sandbox-host/index.ts");
  const { createLocalSandboxProvider } = (await import(
    join(root, "src/adapters/sandbox/local.ts")
  )) as typeof import("../src/adapters/sandbox/local.ts");
  const stateDir = mkdtempSync(join(tmpdir(), "limits-bench-"));
  const host = await startSandboxHost({ port: 0, stateDir, log: () => {}, keepSnapshots: 50 });
  // A tree from before the host's bearer secret has none (and needs none).
  const { secret } = host as { secret?: string };
  const provider = createLocalSandboxProvider({ url: host.url, ...(secret ? { secret } : {}) });
  const m: Record<string, number[]> = {
    firstExec: [],
    exec: [],
    write: [],
    snapshot: [],
    restore: [],
    restoreNew: [],
  };
  try {
    for (let r = 0; r < RUNS; r++) {
      const box = provider.get(`bench-${r}`);
      m.firstExec!.push(await timed(() => box.exec("true")));
      for (let i = 0; i < 3; i++) m.exec!.push(await timed(() => box.exec("true")));
      m.write!.push(await timed(() => box.exec(["node", "-e", WRITE], { timeoutMs: 300_000 })));
      const base = await box.snapshot();
      await box.writeFile("one.txt", String(r));
      let next = base;
      m.snapshot!.push(
        await timed(async () => {
          next = await box.snapshot();
        }),
      );
      await box.writeFile("two.txt", "x");
      m.restore!.push(await timed(() => box.restore(base.id)));
      const other = provider.get(`bench-new-${r}`);
      await other.destroy();
      m.restoreNew!.push(await timed(() => other.restore(next.id)));
    }
  } finally {
    await host.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  const result = Object.fromEntries(Object.entries(m).map(([k, xs]) => [k, Math.round(median(xs))]));
  console.log(JSON.stringify({ tree: root, ...result }));
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv[2]);
