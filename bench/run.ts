export {};

/**
 * `npm run bench`: every benchmark in turn. Each writes its own section of
 * docs/benchmarks.md; `npm run bench -- emulator` runs one, `npm run bench -- load --levels 10`
 * passes the flags on.
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

// Names first; from the first `--flag` on, the arguments are the benchmark's own
// (`npm run bench -- load --levels 10,20`).
const args = process.argv.slice(2);
const firstFlag = args.findIndex((a) => a.startsWith("--"));
const wanted = firstFlag < 0 ? args : args.slice(0, firstFlag);
for (const name of wanted.length ? wanted : Object.keys(benches)) {
  const load = benches[name];
  if (!load) {
    console.error(`unknown benchmark "${name}" (have: ${Object.keys(benches).join(", ")})`);
    process.exit(2);
  }
  console.log(`— ${name}`);
  await (await load()).main();
}
