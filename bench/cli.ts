/**
 * Benchmark: how long a `nightshift` call takes, start to exit, for what does no work
 * (`help`, `runs --help`) and for one API verb against an API that is not running (`runs`,
 * which must say "cannot reach" at once). Wall time of `node bin/nightshift.mjs …`, median of
 * 7 after a warm-up (tsx keeps its compiled files in a cache), with the project's Node 22
 * first on PATH, as `npx nightshift` runs it, and with an older system Node when there is one
 * (the binary then runs itself again with the project's Node).
 *
 * Run: `npx tsx bench/cli.ts [TREE]` (with --write, writes the "CLI start-up" section of docs/benchmarks.md).
 * TREE is another checkout to measure beside this one, e.g. one from before the CLI moved to
 * commander: `git archive <commit> bin src package.json | tar -x -C TREE` plus a link to
 * node_modules. Each round runs every measure once, in both trees, so all see the same machine.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { delimiter, join } from "node:path";
import { freePort } from "../src/local/net.ts";
import { median, writeBenchSection } from "./support.ts";

const REPO = join(import.meta.dirname, "..");
const BIN = join(REPO, "node_modules", ".bin");
const RUNS = 7;
const WARM_UP = 1;

interface Runtime {
  label: string;
  node: string;
  path: string;
}

/** The first `node` on PATH outside node_modules/.bin, when it is older than 22. */
function olderSystemNode(): Runtime | null {
  const path = (process.env.PATH ?? "").split(delimiter).filter((d) => d && !d.includes("node_modules"));
  const dir = path.find((d) => existsSync(join(d, "node")));
  if (!dir) return null;
  const node = join(dir, "node");
  const version = spawnSync(node, ["-p", "process.versions.node"], { encoding: "utf8" }).stdout.trim();
  if (Number(version.split(".")[0]) >= 22) return null;
  return { label: `system Node ${version}`, node, path: path.join(delimiter) };
}

function timed(runtime: Runtime, tree: string, args: string[]): number {
  const started = performance.now();
  const result = spawnSync(runtime.node, [join(tree, "bin", "nightshift.mjs"), ...args], {
    stdio: "ignore",
    env: { ...process.env, PATH: runtime.path, NIGHTSHIFT_TOKEN: "bench" },
  });
  const ms = performance.now() - started;
  if (result.error) throw result.error;
  return ms;
}

export async function main(before?: string): Promise<void> {
  const closed = await freePort();
  const cases: [string, string[]][] = [
    ["`help`", ["help"]],
    ["`runs --help`", ["runs", "--help"]],
    ["`runs` (API not running)", ["runs", "--url", `http://127.0.0.1:${closed}`]],
  ];
  const projectNode = spawnSync(join(BIN, "node"), ["-p", "process.versions.node"], { encoding: "utf8" });
  const runtimes: Runtime[] = [
    {
      label: `project Node ${projectNode.stdout.trim()} (npx)`,
      node: join(BIN, "node"),
      path: `${BIN}${delimiter}${process.env.PATH ?? ""}`,
    },
    ...[olderSystemNode()].filter((r): r is Runtime => r !== null),
  ];
  const trees = before ? [before, REPO] : [REPO];
  const rows: string[] = [];
  const load: number[] = [];
  // Every figure is sampled in each round, so that a busy spell on the machine falls on all of them alike.
  const measures = runtimes.flatMap((runtime) => cases.map(([label, args]) => ({ runtime, label, args })));
  const samples = measures.map(() => trees.map(() => [] as number[]));
  for (let i = 0; i < WARM_UP + RUNS; i++) {
    load.push(loadavg()[0]!);
    for (const [m, { runtime, args }] of measures.entries())
      for (const [t, tree] of trees.entries()) {
        const ms = timed(runtime, tree, args);
        if (i >= WARM_UP) samples[m]![t]!.push(ms);
      }
    process.stdout.write(`round ${i + 1} of ${WARM_UP + RUNS}\r`);
  }
  for (const [m, { runtime, label }] of measures.entries()) {
    const cells = samples[m]!.map((xs) => `${Math.round(median(xs))} ms (${Math.round(Math.min(...xs))})`);
    console.log(`${runtime.label}  ${label}  ${cells.join("  →  ")}`);
    rows.push(`| ${label} | ${runtime.label} | ${cells.join(" | ")} |`);
  }
  const date = new Date().toISOString().slice(0, 10);
  const header = before
    ? "| command | Node | before | now |\n| --- | --- | --- | --- |"
    : "| command | Node | wall time |\n| --- | --- | --- |";
  writeBenchSection(
    "CLI start-up",
    `## CLI start-up

Wall time of \`node bin/nightshift.mjs …\` from spawn to exit: median of ${RUNS} after ${WARM_UP} warm-up (fastest
in brackets), measured ${date} by \`npx tsx bench/cli.ts${before ? " TREE" : ""}\` on this machine (2 cores; load
average ${median(load).toFixed(1)} while measuring: other work shared the cores, so the fastest run is the
better guide to the cost itself).${
      before
        ? "\nBefore: the other tree; for the tree before the CLI moved to commander, every call loaded every\ncommand's module (wrangler, Miniflare, the local stack) and went through the tsx CLI, which starts a Node of\nits own: three Node start-ups a call. Its `runs --help` was a parseArgs error (exit 2), not help."
        : ""
    }

${header}
${rows.join("\n")}

Now \`help\` and \`<verb> --help\` load the verb table and commander only; a verb's module loads when it runs.
tsx compiles in the same process (\`tsx/esm/api\`), and an older Node runs the binary again with the project's
Node 22 (one extra Node start-up).
`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv[2]);
