export {};

/**
 * `npm run bench`: every benchmark in turn. Each writes its own section of
 * docs/benchmarks.md; `npm run bench -- emulator` runs one.
 */
const benches: Record<string, () => Promise<{ main(): Promise<unknown> }>> = {
  agents: () => import("./agents.ts"),
  emulator: () => import("./emulator.ts"),
  limits: () => import("./limits.ts"),
  load: () => import("./load.ts"),
  loop: () => import("./loop.ts"),
  sandbox: () => import("./sandbox.ts"),
};

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(benches)) {
  const load = benches[name];
  if (!load) {
    console.error(`unknown benchmark "${name}" (have: ${Object.keys(benches).join(", ")})`);
    process.exit(2);
  }
  console.log(`— ${name}`);
  await (await load()).main();
}
