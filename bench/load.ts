/**
 * The load benchmark: N concurrent runs of the example job (`workflows/hello-kv.ts`: replay
 * agent, two real wrangler deploys to the local emulator, probes, one fix round; the lean job
 * that exercises every part of the loop and ends waiting at its claim gate) on the whole local
 * stack, for N = 10, 20, 50, 100: one stack, a warm-up run, then one wave of N runs started at
 * once per level, the runs of earlier waves still waiting at their gate (waiting runs are
 * meant to cost nothing; the figures say whether they do).
 *
 * Per wave: throughput (runs reaching the gate per minute, from the first POST to the last run
 * at its gate), p50/p95 time-to-gate (POST → the event that enters the gate), errors (a POST
 * refused, a run ending anywhere but the gate, a run not there within the limit), lost events
 * (each timeline must hold the loop's steps in order, none twice, every transition starting
 * where the one before ended), and memory: RSS of the whole process tree
 * (bench/process-tree.ts) at its peak and once every run waits and the previews' idle period
 * has passed.
 *
 * Then waves of the knee's size (or `--wave`) until 200 runs wait (`--waiting`), and 20 more
 * (`--active`) started at once while they wait: the combined scenario.
 *
 * `npm run bench -- load` (with --write, writes "Load" under "Reliability" in docs/benchmarks.md after every
 * level, so a long run that is stopped keeps what it measured);
 * `npx tsx bench/load.ts [--levels 10,20] [--waiting 200] [--active 20] [--wave 20] [--all-levels] [--write]`.
 * The sweep stops at the first level with an error (larger ones cannot do better) and, unless
 * `--all-levels`, at the knee: the first level whose throughput is not 10% above the previous
 * one's. A level that would take the waiting runs past `--waiting` is not run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalStack, startLocalStack } from "../src/local/orchestrator/stack.ts";
import { freePort } from "../src/local/net.ts";
import { knee, type Level, loadSection, type Scenario } from "./load-report.ts";
import { mb, sampler, sampleTree, type TreeSample } from "./process-tree.ts";
import { WRITE_DOCS, writeBenchSubsection } from "./support.ts";

const ROOT = join(import.meta.dirname, "..");
const TOKEN = "bench-token";
const args = process.argv.slice(2);
const arg = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const LEVELS = (arg("--levels") ?? "10,20,50,100").split(",").map(Number);
const ACTIVE = Number(arg("--active") ?? "20");
const WAITING = Number(arg("--waiting") ?? "200");
const WAVE = arg("--wave") ? Number(arg("--wave")) : undefined;
const STOP_AT_KNEE = !args.includes("--all-levels");
/** The emulator's idle period for previews: short, so the waiting figures come sooner. */
const WORKER_IDLE_MS = 15_000;
const POLL_MS = 2000;

/**
 * The loop's events up to the claim gate, in order, by type (test/e2e/stack-support.ts has the
 * same loop by step): a deploy that failed and was tried again as the next deploy step is still
 * a complete timeline.
 */
const LOOP_EVENTS = [
  "prepare.done",
  "write.done",
  "deploy.done",
  "verify.failed",
  "write.done",
  "deploy.done",
  "verify.passed",
];

interface EventView {
  seq: number;
  step: string | null;
  type: string;
  from: string | null;
  to: string | null;
  at: number;
}

type Caller = <T>(path: string, body?: unknown) => Promise<T>;

function caller(stack: LocalStack, errors: string[]): Caller {
  return async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${stack.url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) {
      const text = await response.text();
      errors.push(`${path}: ${response.status} ${text.slice(0, 200)}`);
      throw new Error(`${path}: ${response.status}`);
    }
    return response.json() as Promise<T>;
  };
}

/**
 * What is wrong with a run's timeline up to its gate, or null when it is complete: `seq` (one
 * sequence for all runs) rising, each transition starting where the one before ended, the
 * loop's steps in order, none twice.
 */
export function timelineProblem(events: readonly EventView[]): string | null {
  let state: string | null = null;
  for (const [i, e] of events.entries()) {
    if (i > 0 && e.seq <= events[i - 1]!.seq) return `seq not rising at ${e.seq}`;
    if (e.to === null) continue;
    if (state !== null && e.from !== state)
      return `a transition missing before ${e.seq} (${state} → ${e.from})`;
    state = e.to;
  }
  const steps = events.filter((e) => e.step).map((e) => `${e.step} ${e.type}`);
  if (new Set(steps).size !== steps.length) return "an event twice";
  let from = 0;
  const types = events.map((e) => e.type);
  for (const type of LOOP_EVENTS) {
    const at = types.indexOf(type, from);
    if (at < 0) return `no "${type}" after event ${from}`;
    from = at + 1;
  }
  if (!events.some((e) => e.to === "awaitingClaim")) return "never entered the claim gate";
  return null;
}

interface Started {
  id: string;
  postedAt: number;
}

/** Starts `n` runs at once and waits until each is at its gate, ended, or past the limit. */
async function runWave(call: Caller, n: number, errors: string[], limitMs: number) {
  const started = (
    await Promise.all(
      Array.from({ length: n }, async (): Promise<Started | null> => {
        const postedAt = Date.now();
        try {
          const { run } = await call<{ run: { id: string } }>("/api/jobs/hello-kv/runs", {});
          return { id: run.id, postedAt };
        } catch {
          return null;
        }
      }),
    )
  ).filter((s): s is Started => s !== null);
  const open = new Map(started.map((s) => [s.id, s]));
  const atGate: Started[] = [];
  const end = Date.now() + limitMs;
  while (open.size && Date.now() < end) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const { runs } = await call<{
      runs: Array<{ id: string; status: string; state: string; outcome: unknown }>;
    }>("/api/runs?limit=500").catch(() => ({ runs: [] }));
    for (const run of runs) {
      const mine = open.get(run.id);
      if (!mine || (run.status !== "waiting" && run.status !== "final")) continue;
      open.delete(run.id);
      if (run.state === "awaitingClaim") atGate.push(mine);
      else
        errors.push(
          `run ${run.id} ended in ${run.status}/${run.state}: ${JSON.stringify(run.outcome).slice(0, 300)}`,
        );
    }
  }
  for (const id of open.keys()) errors.push(`run ${id} not at its gate after ${limitMs / 1000} s`);
  // Each timeline, and the time its run entered the gate.
  const times: number[] = [];
  let lost = 0;
  let lastGateAt = 0;
  for (const run of atGate) {
    const { events } = await call<{ events: EventView[] }>(`/api/runs/${run.id}/events`);
    const problem = timelineProblem(events);
    if (problem) {
      lost++;
      errors.push(`run ${run.id}: timeline ${problem}`);
      continue;
    }
    const gateAt = events.find((e) => e.to === "awaitingClaim")!.at;
    times.push(gateAt - run.postedAt);
    lastGateAt = Math.max(lastGateAt, gateAt);
  }
  const firstPost = Math.min(...started.map((s) => s.postedAt));
  return { started: started.length, atGate: atGate.length, times, lost, spanMs: lastGateAt - firstPost };
}

/** Waits until the previews' workerd have stopped (their idle period), then samples. */
async function settledSample(stack: LocalStack): Promise<TreeSample> {
  await new Promise((r) => setTimeout(r, WORKER_IDLE_MS));
  const end = Date.now() + 60_000;
  while (stack.emulator.runningWorkers() > 0 && Date.now() < end)
    await new Promise((r) => setTimeout(r, 1000));
  // The Sandboxes' network agents end on their own 15 s after their last use.
  await new Promise((r) => setTimeout(r, 5000));
  return sampleTree();
}

async function withStack<T>(fn: (stack: LocalStack) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "nightshift-bench-load-"));
  const stack = await startLocalStack({
    root: ROOT,
    stateDir: dir,
    port: await freePort(),
    emulatorPort: 0,
    sandboxPort: 0,
    egressPort: 0,
    egress: { keys: {} },
    token: TOKEN,
    workerIdleMs: WORKER_IDLE_MS,
    emulatorLog: () => {},
  });
  try {
    return await fn(stack);
  } finally {
    await stack.close();
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

/** How long a wave may take: generous (a run may take minutes when the cores are shared), so only a stuck run counts. */
const limitFor = (n: number) => Math.max(15 * 60_000, n * 30_000);

async function level(stack: LocalStack, n: number, errors: string[]): Promise<Level> {
  const call = caller(stack, errors);
  const before = errors.length;
  const baseline = await settledSample(stack);
  const watch = sampler();
  const wave = await runWave(call, n, errors, limitFor(n));
  const during = watch.stop();
  const waiting = await settledSample(stack);
  const mine = errors.slice(before);
  console.log(
    `  N=${n}: ${wave.atGate}/${n} at the gate in ${Math.round(wave.spanMs / 1000)} s, ${mine.length} errors, ` +
      `peak ${mb(Math.max(...during.map((s) => s.rssBytes)))} MB, waiting ${mb(waiting.rssBytes)} MB ` +
      `(before ${mb(baseline.rssBytes)} MB), max load ${Math.max(...during.map((s) => s.load1))}`,
  );
  for (const e of mine.slice(0, 10)) console.log(`    ${e}`);
  return { n, ...wave, errors: mine, baseline, during, waiting };
}

/** Brings runs to their gate, `wave` at a time, until `total` wait; how many wait. */
async function fill(call: Caller, waiting: number, total: number, wave: number, errors: string[]) {
  // A failed run is counted and reported, and the filling goes on: only a wave with no run at
  // its gate at all ends it.
  while (waiting < total) {
    const n = Math.min(wave, total - waiting);
    const result = await runWave(call, n, errors, limitFor(n));
    waiting += result.atGate - result.lost;
    if (result.atGate === 0) break;
    console.log(`  filling: ${waiting}/${total} at their gate (${errors.length} errors)`);
  }
  return waiting;
}

async function combined(
  stack: LocalStack,
  waitingRuns: number,
  wave: number,
  empty: TreeSample,
  fillErrors: string[],
) {
  const errors: string[] = [];
  const call = caller(stack, errors);
  const before = await settledSample(stack);
  const watch = sampler();
  const active = await runWave(call, ACTIVE, errors, limitFor(ACTIVE));
  const during = watch.stop();
  const { runs } = await call<{ runs: Array<{ status: string; state: string }> }>("/api/runs?limit=500");
  const stillWaiting = runs.filter((r) => r.status === "waiting" && r.state === "awaitingClaim").length;
  const after = await settledSample(stack);
  console.log(
    `  ${waitingRuns} waiting + ${ACTIVE} active: ${active.atGate}/${ACTIVE} at the gate, ${stillWaiting} waiting after, ` +
      `${errors.length} errors, peak ${mb(Math.max(...during.map((s) => s.rssBytes)))} MB`,
  );
  for (const e of errors.slice(0, 10)) console.log(`    ${e}`);
  const scenario: Scenario = {
    waitingRuns,
    wave,
    active: ACTIVE,
    ...active,
    errors,
    fillErrors,
    empty,
    before,
    during,
    after,
    stillWaiting,
  };
  return scenario;
}

/**
 * One stack for everything: a warm-up run, then the levels' waves one after the other (the runs
 * of the earlier waves keep waiting at their gate), then waves of the knee's size until
 * `--waiting` runs wait, then the active ones.
 */
export async function main(): Promise<void> {
  const startLoad = sampleTree().load1;
  const levels: Level[] = [];
  let scenario: Scenario | null = null;
  const write = () =>
    writeBenchSubsection(
      "Reliability",
      "Load",
      loadSection({ levels, scenario, startLoad, idleMs: WORKER_IDLE_MS }),
    );
  await withStack(async (stack) => {
    const empty = sampleTree();
    const errors: string[] = [];
    const call = caller(stack, errors);
    // One run first: wrangler's, esbuild's and the engine's caches.
    const warm = await runWave(call, 1, errors, 180_000);
    if (warm.atGate !== 1) throw new Error(`the warm-up run failed: ${errors.join("; ")}`);
    let waiting = 1;
    for (const n of LEVELS) {
      if (waiting + n > WAITING) break;
      const result = await level(stack, n, errors);
      levels.push(result);
      waiting += result.atGate - result.lost;
      // With --write, after every level: a long run stopped early keeps what it measured.
      if (WRITE_DOCS) write();
      if (result.errors.length || (STOP_AT_KNEE && knee(levels))) break;
    }
    const best = knee(levels) ?? levels.filter((l) => l.errors.length === 0).at(-1);
    const wave = WAVE ?? best?.n ?? 10;
    const fillFrom = errors.length;
    waiting = await fill(call, waiting, WAITING, wave, errors);
    scenario = await combined(stack, waiting, wave, empty, errors.slice(fillFrom));
  });
  write();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
