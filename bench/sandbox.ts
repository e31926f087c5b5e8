/**
 * Benchmark: Sandbox setup cold vs restored from a snapshot, on the local host
 * (overlay snapshots, bubblewrap). The workspace is a real Worker project
 * (wrangler 4.164.0 as a devDependency, a lockfile, `npm ci` inside the
 * Sandbox from the npm registry with an empty npm cache). Measures: cold setup,
 * snapshot, restore (same Sandbox and a destroyed one), snapshot size on disk,
 * what two consecutive snapshots share, and restore time at three workspace
 * sizes (the largest made by copying this repo's node_modules into the
 * workspace from the host side, a bench-only shortcut).
 *
 * Run: `npx tsx bench/sandbox.ts` (with --write, writes the "Sandbox" section of docs/benchmarks.md).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalSandboxProvider } from "../src/adapters/sandbox/local.ts";
import { startEgressProxy } from "../src/local/egress-proxy/index.ts";
import { packageRegistryHosts } from "../src/local/orchestrator/stack.ts";
import { startSandboxHost } from "../src/local/sandbox-host/index.ts";
import type { SnapshotRecord } from "../src/local/sandbox-host/layer-policy.ts";
import type { Sandbox } from "../src/ports/sandbox.ts";
import { writeBenchSection } from "./support.ts";

const REPO = join(import.meta.dirname, "..");
const RUNS = 5;
const COLD_RUNS = 3;
// The registry is reached through a TLS-inspecting proxy here: npm needs the system CA bundle.
const NPM_ENV = {
  npm_config_cafile: "/etc/ssl/certs/ca-certificates.crt",
  npm_config_update_notifier: "false",
};

const PROJECT = {
  "package.json": JSON.stringify(
    {
      name: "bench-worker",
      private: true,
      type: "module",
      scripts: { deploy: "wrangler deploy" },
      devDependencies: { wrangler: "4.164.0" },
      allowScripts: { workerd: true, esbuild: true },
    },
    null,
    2,
  ),
  "wrangler.jsonc": JSON.stringify({
    name: "bench-worker",
    main: "src/index.js",
    compatibility_date: "2026-08-22",
  }),
  "src/index.js": 'export default { fetch() { return new Response("hello"); } };\n',
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const value = await fn();
  return [performance.now() - t, value];
}

async function must(box: Sandbox, command: string): Promise<string> {
  const r = await box.exec(command, { env: NPM_ENV, timeoutMs: 600_000 });
  if (r.exitCode !== 0) throw new Error(`${command}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function writeProject(box: Sandbox, lock?: string) {
  for (const [path, content] of Object.entries(PROJECT)) await box.writeFile(path, content);
  if (lock) await box.writeFile("package-lock.json", lock);
}

const du = (path: string) => Number(execFileSync("du", ["-sb", path]).toString().split("\t")[0]);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const ms = (x: number) => (x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`);

export interface SandboxBenchResult {
  coldSetupMs: number;
  restoreMs: number;
  restoreIntoDestroyedMs: number;
  ratio: number;
  firstSnapshotMs: number;
  snapshotMs: number;
  workspaceBytes: number;
  files: number;
  snapshotBytes: number;
  consecutive: { sharedLayers: number; newLayerBytes: number; totalLayers: number };
  bySize: { label: string; bytes: number; files: number; snapshotMs: number; restoreMs: number }[];
}

export async function main(): Promise<SandboxBenchResult> {
  const stateDir = mkdtempSync(join(tmpdir(), "sandbox-bench-"));
  // The Sandbox has a network of its own: npm reaches the registry through the egress proxy, as
  // a job's setup does under `npm start`.
  const proxy = await startEgressProxy({ port: 0, keys: {}, allowHosts: packageRegistryHosts() });
  const host = await startSandboxHost({
    port: 0,
    stateDir,
    log: () => {},
    keepSnapshots: 50,
    gateways: [{ port: Number(new URL(proxy.url).port) }],
    env: { HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.1,localhost" },
  });
  const provider = createLocalSandboxProvider({ url: host.url, secret: host.secret });
  const record = (id: string) =>
    JSON.parse(readFileSync(join(stateDir, "snapshots", `${id}.json`), "utf8")) as SnapshotRecord;
  try {
    // The lockfile, made once (not measured).
    const prep = provider.get("prep");
    await writeProject(prep);
    await must(prep, "npm install --package-lock-only --no-audit --no-fund");
    const lock = await prep.readFile("package-lock.json");
    await prep.destroy();

    // Cold setup: fresh Sandbox, empty npm cache, `npm ci` from the registry.
    const cold: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      const box = provider.get(`cold-${i}`);
      const [t] = await timed(async () => {
        await writeProject(box, lock);
        await must(box, "npm ci --no-audit --no-fund");
      });
      cold.push(t);
      if (i < COLD_RUNS - 1) await box.destroy();
    }
    const box = provider.get(`cold-${COLD_RUNS - 1}`);
    const workspaceBytes = Number((await must(box, "du -sb /workspace | cut -f1")).trim());
    const files = Number((await must(box, "find /workspace | wc -l")).trim());

    const [firstSnapshotMs, setup] = await timed(() => box.snapshot({ name: "setup" }));
    // sizes are measured in the background right after the snapshot
    while ((await provider.listSnapshots()).find((s) => s.id === setup.id)?.sizeBytes == null) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const snapshotBytes = (await provider.listSnapshots()).find((s) => s.id === setup.id)!.sizeBytes!;

    // Restore into the same Sandbox after a change (the write → verify loop's case).
    const restores: number[] = [];
    const snapshots: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await box.exec(`echo ${i} > src/edit.js && rm -rf node_modules/wrangler`);
      restores.push((await timed(() => box.restore(setup.id)))[0]);
      await box.writeFile("src/step.js", `export const step = ${i};\n`);
      snapshots.push((await timed(() => box.snapshot()))[0]);
      await box.restore(setup.id);
    }
    const check = await box.exec("ls node_modules/wrangler/bin && test ! -e src/edit.js");
    if (check.exitCode !== 0) throw new Error(`restore did not bring the snapshot back: ${check.stderr}`);

    // Restore into a destroyed Sandbox (a run waking after days at a gate).
    const intoDestroyed: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const other = provider.get(`revived-${i}`);
      await other.destroy();
      intoDestroyed.push((await timed(() => other.restore(setup.id)))[0]);
    }

    // Two consecutive snapshots: one source file changed in between.
    await box.writeFile("src/index.js", 'export default { fetch() { return new Response("v2"); } };\n');
    const next = await box.snapshot({ name: "write#1" });
    const [a, b] = [record(setup.id), record(next.id)];
    const shared = b.layers.filter((l) => a.layers.includes(l)).length;
    const consecutive = {
      sharedLayers: shared,
      totalLayers: b.layers.length,
      newLayerBytes: du(join(stateDir, "l", b.layers[0]!)),
    };

    // Restore time at three workspace sizes.
    const bySize: SandboxBenchResult["bySize"] = [];
    const sizes: [string, (s: Sandbox, ws: string) => Promise<void>][] = [
      ["project only (no node_modules)", (s) => writeProject(s, lock)],
      ["after npm ci (wrangler)", async (s) => s.restore(setup.id)],
      [
        "npm ci + this repo's node_modules",
        async (s, ws) => {
          await s.restore(setup.id);
          await s.exec("true"); // wakes (mounts) the workspace
          execFileSync("cp", ["-a", join(REPO, "node_modules"), join(ws, "extra_node_modules")]);
        },
      ],
    ];
    for (const [label, fill] of sizes) {
      const name = `size-${bySize.length}`;
      const s = provider.get(name);
      const ws = join(stateDir, "sandboxes", name, "ws");
      await fill(s, ws);
      const bytes = Number((await must(s, "du -sb /workspace | cut -f1")).trim());
      const count = Number((await must(s, "find /workspace | wc -l")).trim());
      const [snapMs, snap] = await timed(() => s.snapshot());
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await s.writeFile("touched.txt", String(i));
        times.push((await timed(() => s.restore(snap.id)))[0]);
      }
      bySize.push({ label, bytes, files: count, snapshotMs: snapMs, restoreMs: median(times) });
    }

    const result: SandboxBenchResult = {
      coldSetupMs: median(cold),
      restoreMs: median(restores),
      restoreIntoDestroyedMs: median(intoDestroyed),
      ratio: median(cold) / median(restores),
      firstSnapshotMs,
      snapshotMs: median(snapshots),
      workspaceBytes,
      files,
      snapshotBytes,
      consecutive,
      bySize,
    };
    writeSection(result, host.health.snapshots);
    return result;
  } finally {
    await host.close();
    await proxy.close();
    execFileSync("sh", [
      "-c",
      `grep -o ' ${stateDir}[^ ]*' /proc/self/mountinfo | xargs -r -n1 umount -l || true`,
    ]);
    execFileSync("rm", ["-rf", stateDir]);
  }
}

function writeSection(r: SandboxBenchResult, mode: string): void {
  const date = new Date().toISOString().slice(0, 10);
  const rows = r.bySize
    .map((s) => `| ${s.label} | ${mb(s.bytes)} | ${s.files} | ${ms(s.snapshotMs)} | ${ms(s.restoreMs)} |`)
    .join("\n");
  const section = `## Sandbox

Local Sandbox host (bubblewrap, **${mode}** snapshots), a Worker project with \`wrangler@4.164.0\` as a devDependency
and its lockfile; cold setup = write the project into a fresh Sandbox and \`npm ci\` from the npm registry (through the egress proxy: the Sandbox has its own network) with an
empty npm cache (median of ${COLD_RUNS}); other figures median of ${RUNS}, wall time seen by the HTTP client (the
local adapter), measured ${date} by \`npx tsx bench/sandbox.ts\` on this machine (2 cores, ext4).

| measure | value |
| --- | --- |
| cold setup (\`npm ci\`, ${mb(r.workspaceBytes)}, ${r.files} files) | ${ms(r.coldSetupMs)} |
| restore from snapshot, same Sandbox (after edits) | ${ms(r.restoreMs)} |
| restore into a destroyed Sandbox | ${ms(r.restoreIntoDestroyedMs)} |
| **ratio cold / restore** | **${Math.round(r.ratio)}×** (target ≥ 100×; public reference ~15×: 30 s vs 2 s) |
| first snapshot after \`npm ci\` (freezes ${mb(r.snapshotBytes)}) | ${ms(r.firstSnapshotMs)} |
| snapshot after a one-file change | ${ms(r.snapshotMs)} |
| snapshot size on disk (its own layer) | ${mb(r.snapshotBytes)} — the files written since the previous snapshot, no copy, no archive |
| two consecutive snapshots (one source file changed) | share ${r.consecutive.sharedLayers} of ${r.consecutive.totalLayers} layers; the new layer holds ${(r.consecutive.newLayerBytes / 1000).toFixed(1)} kB |

Restore time by workspace size (snapshot and restore are constant-time: a rename and an overlay mount):

| workspace | size | files | snapshot | restore |
| --- | --- | --- | --- | --- |
${rows}

Restore figures vary by some tens of ms from run to run: the background deletion of discarded upper dirs and the
background sync of new layers share the disk with the measured calls. The largest workspace adds a copy of this repository's node_modules, made from the host side (a bench-only
shortcut). Where overlay mounts are refused the host falls back to copying the whole workspace; then both
figures grow with its size.
`;
  writeBenchSection("Sandbox", section);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((result) => console.log(JSON.stringify(result, null, 2)));
}
