/**
 * The shapes the CLI is made of: a verb's declaration (what help, completion and the argument
 * parser need, light enough to list every verb without loading one) and the command module it
 * loads when it runs. See commands/index.ts for the table and how to add a verb.
 */

/** Option values by long flag name without the dashes (`values["shown-hash"]`, `values["no-example"]`). */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** What a command's `run` receives: the parsed command line, already checked against its declaration. */
export interface Invocation {
  /** The positional arguments, in order (those declared optional may be missing). */
  positionals: string[];
  values: Values;
}

/** What every command module exports. */
export interface Command {
  /** Returns the process exit code (see EXIT in output.ts). */
  run(input: Invocation): Promise<number>;
}

export interface OptionSpec {
  /** In commander's syntax: `--reason <text>`, `-f, --follow`, `--no-example`. */
  flags: string;
  description: string;
  /** Shown in help and given to the command when the flag is absent. */
  default?: string;
  /** The only values allowed (checked before the command loads; completed by the shell). */
  choices?: readonly string[];
  /** May be given more than once; the values arrive as a list. */
  repeatable?: boolean;
}

export interface ArgumentSpec {
  /** `<run>` (required) or `[id]` (optional). */
  name: string;
  description: string;
  choices?: readonly string[];
}

export interface VerbSpec {
  /** One line, for `nightshift help` and shell completion. */
  summary: string;
  /** A paragraph for `nightshift <verb> --help`, when the summary is not enough. */
  description?: string;
  args?: readonly ArgumentSpec[];
  options?: readonly OptionSpec[];
  /**
   * "api": talks to the nightshift API, so takes `--json`, `--url` and `--token`;
   * "json": prints data and takes `--json`; absent: neither (servers that print logs).
   */
  kind?: "api" | "json";
  /** Whole command lines, shown under "Examples:" in the verb's help. */
  examples: readonly string[];
  /** Loads the command module: only when the verb runs, never for help or completion. */
  load(): Promise<Command>;
}
