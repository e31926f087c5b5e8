export {};

/**
 * `npm run bench`: every benchmark in turn, or those named (`npm run bench -- emulator`); flags
 * after the names are the benchmark's own (`npm run bench -- load --levels 10`). Each prints its
 * section of docs/benchmarks.md and writes it there only with `--write`. Progress (which
 * benchmark, how long so far) goes to stderr, so a run of several minutes is never silent.
 */
const benches: Record<string, () => Promise<{ main(): Promise<unknown> }>> = {
  agents: () => import("./agents.ts"),
  cli: () => import("./cli.ts"),
  emulator: () => import("./emulator.ts"),
  limits: () => import("./limits.ts"),
  load: () => import("./load.ts"),
  loop: () => import("./loop.ts"),
  sandbox: () => import("./sandbox.ts"),
};

const USAGE = `usage: npm run bench -- [name…] [--write] [the benchmark's own flags]

Runs every benchmark, or the ones named: ${Object.keys(benches).join(", ")}.
Each prints its section of docs/benchmarks.md; --write also puts it in the file (the figures
are this machine's, and the file is tracked). Progress goes to stderr.

  npm run bench -- emulator            print the Emulator section
  npm run bench -- loop --write        measure the loop and update docs/benchmarks.md
  npm run bench -- load --levels 10,20 the load benchmark's own flags follow its name`;

/** How often a benchmark still running says so. */
const HEARTBEAT_MS = 30_000;

// Names first; from the first other `--flag` on, the arguments are the benchmark's own.
// `--write` and `--help` are this script's wherever they are (the benchmarks read `--write`
// from the command line themselves, see support.ts).
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
const own = args.filter((a) => a !== "--write");
const firstFlag = own.findIndex((a) => a.startsWith("-"));
const wanted = firstFlag < 0 ? own : own.slice(0, firstFlag);
const unknown = wanted.filter((name) => !benches[name]);
if (unknown.length) {
  console.error(
    `bench: unknown benchmark "${unknown[0]}" (have: ${Object.keys(benches).join(", ")}); see --help`,
  );
  process.exit(2);
}
const names = wanted.length ? wanted : Object.keys(benches);
const seconds = (since: number) => `${Math.round((performance.now() - since) / 1000)} s`;
const all = performance.now();
for (const [i, name] of names.entries()) {
  const began = performance.now();
  process.stderr.write(`bench: ${name} (${i + 1}/${names.length}) started\n`);
  const heartbeat = setInterval(
    () => process.stderr.write(`bench: ${name} still running (${seconds(began)})\n`),
    HEARTBEAT_MS,
  );
  heartbeat.unref();
  try {
    await (await benches[name]!()).main();
  } finally {
    clearInterval(heartbeat);
  }
  process.stderr.write(`bench: ${name} done in ${seconds(began)}\n`);
}
if (names.length > 1) process.stderr.write(`bench: all done in ${seconds(all)}\n`);
