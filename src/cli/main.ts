/**
 * The `nightshift` command (bin/nightshift.mjs, `npm start`, or `tsx src/cli/main.ts`).
 * The verbs are declared in commands/index.ts and parsed in program.ts; this file only runs it.
 */
import { runCli } from "./program.ts";

// `nightshift help | head`: the reader went away; that is the end, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2));
