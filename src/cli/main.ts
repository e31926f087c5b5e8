/**
 * The `nightshift` command. One file per command under `commands/`; this file
 * only dispatches. User errors print one line and exit 2; anything else is a
 * system error and prints its stack.
 */
import { commands } from "./commands/index.ts";
import { isUserError } from "./errors.ts";

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log("usage: nightshift <command> [options]\n");
    for (const [cmd, { summary }] of Object.entries(commands)) console.log(`  ${cmd.padEnd(16)} ${summary}`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`nightshift: unknown command "${name}" (try: nightshift help)`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isUserError(error)) {
      console.error(`nightshift: ${error.message}`);
      process.exitCode = 2;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  },
);
