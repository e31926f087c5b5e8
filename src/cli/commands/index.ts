/** Registry of CLI commands: one file per command, path = command name. */
import type { Command } from "../command.ts";
import { approve } from "./approve.ts";
import { cancel } from "./cancel.ts";
import { emulator } from "./emulator.ts";
import { gates } from "./gates.ts";
import { generate } from "./generate.ts";
import { logs } from "./logs.ts";
import { record } from "./record.ts";
import { reject } from "./reject.ts";
import { resume } from "./resume.ts";
import { rollback } from "./rollback.ts";
import { run } from "./run.ts";
import { runs } from "./runs.ts";
import { sandboxHost } from "./sandbox-host.ts";
import { start } from "./start.ts";
import { token } from "./token.ts";
import { validate } from "./validate.ts";

export const commands: Record<string, Command> = {
  approve,
  cancel,
  emulator,
  gates,
  generate,
  logs,
  record,
  reject,
  resume,
  rollback,
  run,
  runs,
  "sandbox-host": sandboxHost,
  start,
  token,
  validate,
};
