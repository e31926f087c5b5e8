/** Registry of CLI commands: one file per command, path = command name. */
import type { Command } from "../command.ts";
import { emulator } from "./emulator.ts";
import { generate } from "./generate.ts";
import { sandboxHost } from "./sandbox-host.ts";
import { start } from "./start.ts";
import { validate } from "./validate.ts";

export const commands: Record<string, Command> = {
  emulator,
  generate,
  "sandbox-host": sandboxHost,
  start,
  validate,
};
