/**
 * Benchmark: `wrangler deploy --temporary` through the local emulator.
 * Measures the first deploy (which provisions an account) and redeploys
 * (versions API), median of several runs each, and the emulator's own share:
 * the time spent inside its API handlers (its request log's `handlerMs`,
 * which includes starting the uploaded Worker in Miniflare) against the wall
 * time of the whole wrangler run (Node start-up, bundling, HTTP).
 *
 * Run: `npx tsx bench/emulator.ts` (with --write, writes the "Emulator" section of docs/benchmarks.md).
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, startEmulator } from "../src/local/emulator/index.ts";
import { median, writeBenchSection } from "./support.ts";

const REPO = join(import.meta.dirname, "..");
const WRANGLER = join(REPO, "node_modules", "wrangler", "bin", "wrangler.js");
const FIXTURE = join(REPO, "test", "fixtures", "workers", "hello");
const RUNS = 5;

interface Sample {
  wallMs: number;
  emulatorMs: number;
}

function scratchProject(): { dir: string; env: (api: string) => Record<string, string>; root: string } {
  const root = mkdtempSync(join(tmpdir(), "emu-bench-"));
  const dir = join(root, "project");
  cpSync(FIXTURE, dir, { recursive: true });
  for (const d of ["home", "xdg", "tmp"]) mkdirSync(join(root, d));
  const env = (api: string) => ({
    PATH: `${join(REPO, "node_modules", ".bin")}:/usr/local/bin:/usr/bin:/bin`,
    HOME: join(root, "home"),
    XDG_CONFIG_HOME: join(root, "xdg"),
    TMPDIR: join(root, "tmp"),
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    CLOUDFLARE_API_BASE_URL: api,
  });
  return { dir, env, root };
}

function runDeploy(dir: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, "deploy", "--temporary"], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`wrangler deploy exited ${code}:\n${output}`)),
    );
  });
}

async function timedDeploy(emu: Emulator, dir: string, env: Record<string, string>): Promise<Sample> {
  const since = emu.requestLog.lastSeq;
  const began = performance.now();
  await runDeploy(dir, env);
  const wallMs = performance.now() - began;
  const emulatorMs = emu.requestLog
    .list({ since: String(since), kind: "api" })
    .reduce((sum, e) => sum + e.handlerMs, 0);
  return { wallMs, emulatorMs };
}

export interface EmulatorBenchResult {
  firstDeploy: { wallMs: number; emulatorMs: number };
  redeploy: { wallMs: number; emulatorMs: number };
  runs: number;
}

function summarize(samples: Sample[]) {
  return {
    wallMs: Math.round(median(samples.map((s) => s.wallMs))),
    emulatorMs: Math.round(median(samples.map((s) => s.emulatorMs))),
  };
}

function writeSection(result: EmulatorBenchResult): void {
  const pct = (x: { wallMs: number; emulatorMs: number }) =>
    `${Math.round((100 * x.emulatorMs) / x.wallMs)}%`;
  const section = [
    "## Emulator",
    "",
    `\`wrangler deploy --temporary\` (wrangler 4.164.0, fixture \`test/fixtures/workers/hello\`) against the local emulator; median of ${result.runs} runs each, measured ${new Date().toISOString().slice(0, 10)} by \`npx tsx bench/emulator.ts\` on this machine (2 cores).`,
    "",
    "| deploy | wall time | inside the emulator's handlers | share |",
    "| --- | --- | --- | --- |",
    `| first (provisions an account: challenge, proof-of-work, create) | ${result.firstDeploy.wallMs} ms | ${result.firstDeploy.emulatorMs} ms | ${pct(result.firstDeploy)} |`,
    `| redeploy (versions + deployments API) | ${result.redeploy.wallMs} ms | ${result.redeploy.emulatorMs} ms | ${pct(result.redeploy)} |`,
    "",
    "The emulator's time is the sum of its API handlers' durations from its request log; most of it is starting the",
    "uploaded Worker in Miniflare (a workerd process) before answering the upload. The rest of the wall time is",
    "wrangler itself: Node start-up, reading config, bundling with esbuild, solving the proof-of-work. The public",
    "reference for a real temporary deploy is about 30 s.",
    "",
  ].join("\n");
  writeBenchSection("Emulator", section);
}

export async function main(): Promise<EmulatorBenchResult> {
  const emu = await startEmulator({ log: () => {} });
  const roots: string[] = [];
  try {
    const first: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      const p = scratchProject();
      roots.push(p.root);
      first.push(await timedDeploy(emu, p.dir, p.env(emu.apiBaseUrl)));
    }
    const p = scratchProject();
    roots.push(p.root);
    await runDeploy(p.dir, p.env(emu.apiBaseUrl));
    const redeploys: Sample[] = [];
    const source = join(p.dir, "src", "index.js");
    for (let i = 0; i < RUNS; i++) {
      writeFileSync(
        source,
        readFileSync(source, "utf8").replace(/const VERSION = "[^"]*"/, `const VERSION = "bench-${i}"`),
      );
      redeploys.push(await timedDeploy(emu, p.dir, p.env(emu.apiBaseUrl)));
    }
    const result = { firstDeploy: summarize(first), redeploy: summarize(redeploys), runs: RUNS };
    writeSection(result);
    return result;
  } finally {
    await emu.close();
    rmSync(emu.stateDir, { recursive: true, force: true });
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((result) => console.log(JSON.stringify(result, null, 2)));
}
