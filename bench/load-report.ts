/**
 * The "Load" figures of bench/load.ts as Markdown: pure, from the levels measured.
 */
import { median } from "./support.ts";
import { mb, PART_NAMES, PARTS, type TreeSample } from "./process-tree.ts";

export interface Wave {
  started: number;
  atGate: number;
  /** POST → gate, per run at its gate with a complete timeline */
  times: number[];
  lost: number;
  spanMs: number;
}

export interface Level extends Wave {
  n: number;
  errors: string[];
  /** before the wave: the earlier runs at their gate, previews idle */
  baseline: TreeSample;
  during: TreeSample[];
  /** every run at its gate, previews idle */
  waiting: TreeSample;
}

export interface Scenario extends Wave {
  waitingRuns: number;
  /** how many runs were started at once while filling up to `waitingRuns` */
  wave: number;
  active: number;
  errors: string[];
  /** the errors while filling up to `waitingRuns` (runs that failed instead of waiting) */
  fillErrors: string[];
  /** the fresh stack before its first run */
  empty: TreeSample;
  before: TreeSample;
  during: TreeSample[];
  after: TreeSample;
  stillWaiting: number;
}

/** Nearest-rank percentile. */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const rate = (w: Wave) => (w.spanMs > 0 ? w.atGate / (w.spanMs / 60_000) : 0);
const peak = (xs: TreeSample[]) => xs.reduce((a, b) => (b.rssBytes > a.rssBytes ? b : a));
const maxLoad = (xs: TreeSample[]) => Math.max(...xs.map((s) => s.load1));

/**
 * The knee: the last level before throughput stops growing (the next level adds less than 10%)
 * or errors appear; null with a single level.
 */
export function knee(levels: readonly Level[]): Level | null {
  for (let i = 0; i + 1 < levels.length; i++) {
    const next = levels[i + 1]!;
    if (next.errors.length || rate(next) < 1.1 * rate(levels[i]!)) return levels[i]!;
  }
  return null;
}

function partsTable(rows: Array<[string, TreeSample]>): string {
  const head = `| part | ${rows.map(([name]) => name).join(" | ")} |\n| --- |${rows.map(() => " --- |").join("")}`;
  const lines = PARTS.map(
    (p) =>
      `| ${PART_NAMES[p]} | ${rows.map(([, s]) => `${mb(s.parts[p].rssBytes)} MB (${s.parts[p].processes})`).join(" | ")} |`,
  );
  return [
    head,
    ...lines,
    `| **all** | ${rows.map(([, s]) => `**${mb(s.rssBytes)} MB**`).join(" | ")} |`,
  ].join("\n");
}

function cpuTable(during: TreeSample[]): string {
  const first = during[0]!;
  const last = during.at(-1)!;
  const wall = last.at - first.at;
  const used = (p: (typeof PARTS)[number]) => Math.max(0, last.parts[p].cpuMs - first.parts[p].cpuMs);
  const ended = last.endedChildrenCpuMs - first.endedChildrenCpuMs;
  const total = PARTS.reduce((s, p) => s + used(p), 0) + ended;
  const row = (name: string, ms: number) =>
    `| ${name} | ${Math.round(ms / 1000)} s | ${((100 * ms) / total).toFixed(0)}% | ${(ms / wall).toFixed(2)} |`;
  return [
    "| part | CPU time | share | cores busy (mean) |",
    "| --- | --- | --- | --- |",
    ...PARTS.map((p) => row(PART_NAMES[p], used(p))),
    row("Sandbox commands that ended (the wrangler deploys, mostly)", ended),
  ].join("\n");
}

export function loadSection(input: {
  levels: Level[];
  scenario: Scenario | null;
  startLoad: number;
  idleMs: number;
}): string {
  const { levels, scenario, startLoad, idleMs } = input;
  const waitingBefore = (l: Level) =>
    1 + levels.slice(0, levels.indexOf(l)).reduce((sum, x) => sum + x.atGate - x.lost, 0);
  const rows = levels.map((l) => {
    const perWaiting = (l.waiting.rssBytes - l.baseline.rssBytes) / l.n;
    const top = peak(l.during);
    return `| ${l.n} (${waitingBefore(l)}) | ${l.atGate}/${l.n} | ${rate(l).toFixed(1)} | ${sec(median(l.times))} | ${sec(percentile(l.times, 95))} | ${l.errors.length} | ${l.lost} | ${mb(top.rssBytes)} MB | ${mb((top.rssBytes - l.baseline.rssBytes) / l.n)} MB | ${mb(perWaiting)} MB | ${l.waiting.parts.sandboxes.processes} | ${maxLoad(l.during)} |`;
  });
  const k = knee(levels);
  const largest = levels.at(-1)!;
  const errorLines = [
    ...levels.flatMap((l) => l.errors.slice(0, 5).map((e) => `- N=${l.n}: ${e}`)),
    ...(scenario?.fillErrors ?? []).slice(0, 5).map((e) => `- filling: ${e}`),
    ...(scenario?.errors ?? []).slice(0, 5).map((e) => `- ${scenario?.active} active: ${e}`),
  ];
  let combined = "The combined scenario has not run yet.";
  if (scenario) {
    const mid = median(scenario.during.map((s) => s.rssBytes));
    const top = peak(scenario.during);
    combined = `**${scenario.waitingRuns} runs waiting at the claim gate + ${scenario.active} active loops** (the same stack: after
the levels, waves of ${scenario.wave} until ${scenario.waitingRuns} runs wait, then ${scenario.active} more started at once while they wait):

| measure | value |
| --- | --- |
| active runs at the gate | ${scenario.atGate}/${scenario.active} |
| runs waiting at the claim gate afterwards | ${scenario.stillWaiting} of ${scenario.waitingRuns + scenario.active} |
| errors / lost events of the active runs | ${scenario.errors.length} / ${scenario.lost} |
| errors while filling to ${scenario.waitingRuns} waiting (runs that failed instead) | ${scenario.fillErrors.length} |
| time-to-gate of the active runs, p50 / p95 | ${sec(median(scenario.times))} / ${sec(percentile(scenario.times, 95))} |
| throughput | ${rate(scenario).toFixed(1)} runs/min |
| memory of the fresh stack, before its first run | ${mb(scenario.empty.rssBytes)} MB |
| memory with ${scenario.waitingRuns} waiting (previews idle) | ${mb(scenario.before.rssBytes)} MB |
| **per waiting run** ((${scenario.waitingRuns} waiting − fresh stack) / ${scenario.waitingRuns}) | **${((scenario.before.rssBytes - scenario.empty.rssBytes) / scenario.waitingRuns / 2 ** 20).toFixed(1)} MB** |
| memory while ${scenario.active} are active: median / peak | ${mb(mid)} MB / ${mb(top.rssBytes)} MB |
| **per active run** (median − waiting, / ${scenario.active}; at the peak) | **${mb((mid - scenario.before.rssBytes) / scenario.active)} MB** (${mb((top.rssBytes - scenario.before.rssBytes) / scenario.active)} MB) |
| max load average (1 min) | ${maxLoad(scenario.during)} |

Where the memory is (MB, processes in brackets):

${partsTable([
  ["fresh stack", scenario.empty],
  [`${scenario.waitingRuns} waiting`, scenario.before],
  [`peak with ${scenario.active} active`, top],
  [`${scenario.waitingRuns + scenario.active} waiting`, scenario.after],
])}`;
  }
  return `### Load

N concurrent runs of the example job (\`workflows/hello-kv.ts\`: the replay agent, two deploys with the
unmodified wrangler 4.164.0 inside each run's Sandbox to the local emulator, probes, one fix round; every kind
of step a loop has, and the claim gate at the end), N started at once on the whole local stack; one stack for
all levels, after one warm-up run, each wave started once the one before waits at its gate (its runs keep
waiting there); measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench -- load\`
on this machine (2 cores, 24 GiB). **Other work shared the two cores** (load average ${startLoad} when the bench began).
Time-to-gate runs from the POST to the event entering the claim gate; throughput counts runs at the gate per
minute from the first POST to the last arrival. Memory is the RSS of the whole process tree (orchestrator,
emulator and its previews, Sandbox host, egress proxy, Sandbox processes; shared pages counted in each
process); "per waiting run" is (memory after the wave − memory before it) / N, both taken once the
previews' idle period (${idleMs / 1000} s in this bench, 60 s by default) has passed.

| N (waiting before) | at the gate | runs/min | p50 to gate | p95 to gate | errors | lost events | peak RSS | peak per run | per waiting run | Sandbox processes while waiting | max load (1 min) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

${k ? `**The knee: N = ${k.n}** (${rate(k).toFixed(1)} runs/min): above it throughput grows by less than 10% (or errors appear) while time-to-gate keeps growing — the two cores are full.` : "No knee within the levels run."}
${errorLines.length ? `\nErrors (first five of each wave):\n\n${errorLines.join("\n")}\n` : ""}
Where the memory is at N = ${largest.n} (MB, processes in brackets):

${partsTable([
  [`${waitingBefore(largest)} waiting, before`, largest.baseline],
  ["peak", peak(largest.during)],
  [`${waitingBefore(largest) + largest.atGate} waiting, after`, largest.waiting],
])}

Where the CPU went at N = ${largest.n} (from the first POST to the last run at its gate):

${cpuTable(largest.during)}

${combined}
`;
}
