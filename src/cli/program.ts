/**
 * The `nightshift` command line, built with commander from the verb table
 * (commands/index.ts): help for every verb and option, suggestions for a
 * mistyped verb or option, and one exit-code policy. A verb's module loads only
 * when it runs. Problems with the command line print one line naming what is
 * wrong and where its help is, exit 2 (`{ "error": … }` on stdout under
 * `--json`); a UserError from a command prints its one line, exit 2; anything
 * else is a system error and prints its stack, exit 1.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Argument, Command as Program, CommanderError, Option } from "commander";
import type { Invocation, OptionSpec, Values, VerbSpec } from "./command.ts";
import { verbs } from "./commands/index.ts";
import { REPEATABLE } from "./completion.ts";
import { isUserError } from "./errors.ts";
import { EXIT, printError } from "./output.ts";
import { projectRoot } from "./project.ts";

const JSON_OPTION: OptionSpec = {
  flags: "--json",
  description: 'print the result as JSON on stdout (errors too: { "error": { code, message } })',
};
const API_OPTIONS: OptionSpec[] = [
  JSON_OPTION,
  {
    flags: "--url <url>",
    description: "the nightshift API (default: $NIGHTSHIFT_URL, else http://127.0.0.1:8787)",
  },
  { flags: "--token <token>", description: "API token (default: $NIGHTSHIFT_TOKEN, else .nightshift/token)" },
];

/** A verb's own options and the shared ones its kind adds. */
export function optionsOf(spec: VerbSpec): readonly OptionSpec[] {
  const shared = spec.kind === "api" ? API_OPTIONS : spec.kind === "json" ? [JSON_OPTION] : [];
  return [...(spec.options ?? []), ...shared];
}

const PROGRAM_HELP = `
Run "nightshift <command> --help" for a command's arguments, options and examples.

Environment:
  NIGHTSHIFT_URL    the API the commands talk to (default http://127.0.0.1:8787)
  NIGHTSHIFT_TOKEN  the API token (else .nightshift/token, written by nightshift start)

Exit codes: 0 done, 1 done but the outcome is a failure, 2 bad usage or input, 3 not allowed,
4 not found, 5 conflict (already decided, changed, final), 6 nightshift unreachable or failing.`;

function option(spec: OptionSpec): Option {
  const o = new Option(spec.flags, spec.repeatable ? `${spec.description} ${REPEATABLE}` : spec.description);
  if (spec.choices) o.choices(spec.choices);
  if (spec.default !== undefined) o.default(spec.default);
  if (spec.repeatable)
    o.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return o;
}

/** The parsed options keyed by long flag name, as `parseArgs` gives them (`--no-example` → "no-example": true). */
function valuesOf(command: Program): Values {
  const opts = command.opts();
  const values: Values = {};
  for (const o of command.options) {
    const value = opts[o.attributeName()] as Values[string];
    values[(o.long ?? "").replace(/^--/, "")] = o.negate ? value === false : value;
  }
  return values;
}

function argTerm(a: Argument): string {
  return a.required ? `<${a.name()}>` : `[${a.name()}]`;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), "package.json"), "utf8")) as { version: string })
      .version;
  } catch {
    return "unknown";
  }
}

/** Where help and usage errors go: the process's stdout and stderr, unless a test listens. */
export interface Sink {
  out(text: string): void;
  err(text: string): void;
}

const PROCESS_SINK: Sink = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export interface ProgramHooks {
  /** Called with the verb (null for the program itself) and commander's message, before it throws. */
  onError(verb: string | null, message: string): void;
  /** Runs a verb once its command line checked out. */
  onRun(verb: string, spec: VerbSpec, input: Invocation): Promise<void>;
  sink?: Sink;
}

/** The commander program for the verb table; nothing is loaded until `onRun` loads it. */
export function buildProgram(hooks: ProgramHooks, table: Record<string, VerbSpec> = verbs): Program {
  const sink = hooks.sink ?? PROCESS_SINK;
  const output = (verb: string | null) => ({
    writeOut: sink.out,
    writeErr: sink.err,
    outputError: (message: string) => hooks.onError(verb, message),
  });
  const program = new Program("nightshift")
    .description("nightshift: a workflow orchestrator for background coding agents")
    .version(version(), "-V, --version", "print nightshift's version")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    .usage("<command> [options]")
    .exitOverride()
    .configureOutput(output(null))
    .showSuggestionAfterError(true)
    // The verb list names each verb with its arguments; "[options]" on every line says nothing.
    .configureHelp({ subcommandTerm: (c) => [c.name(), ...c.registeredArguments.map(argTerm)].join(" ") })
    .addHelpText("after", PROGRAM_HELP);
  for (const [name, spec] of Object.entries(table)) {
    const verb = program
      .command(name)
      .summary(spec.summary)
      .description(spec.description ? `${spec.summary}.\n\n${spec.description}` : `${spec.summary}.`)
      .helpOption("-h, --help", "show this help")
      .exitOverride()
      .configureOutput(output(name))
      .showSuggestionAfterError(true);
    for (const arg of spec.args ?? []) {
      const a = new Argument(arg.name, arg.description);
      if (arg.choices) a.choices(arg.choices);
      verb.addArgument(a);
    }
    for (const o of optionsOf(spec)) verb.addOption(option(o));
    verb.addHelpText("after", `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join("\n")}`);
    verb.action(async (...all: unknown[]) => {
      const command = all.at(-1) as Program;
      await hooks.onRun(name, spec, { positionals: [...command.args], values: valuesOf(command) });
    });
  }
  return program;
}

/** commander's message as one line: what is wrong, its suggestion, and where help is. */
export function usageLine(verb: string | null, message: string): string {
  const lines = message
    .trim()
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const first = (lines[0] ?? "bad usage").replace(/^error: /, "").replace(/\.$/, "");
  const suggestion = lines
    .slice(1)
    .map((l) => l.replace(/^\(Did you mean (.+)\?\)$/, "did you mean $1?"))
    .join(" ");
  const help = verb ? `nightshift ${verb} --help` : "nightshift help";
  return `${first}${suggestion ? ` (${suggestion})` : ""}; see: ${help}`;
}

/** Runs the command line `args` (without node and the script) and returns the exit code. */
export async function runCli(
  args: string[],
  options: { table?: Record<string, VerbSpec>; sink?: Sink } = {},
): Promise<number> {
  const { table = verbs, sink = PROCESS_SINK } = options;
  const json = args.includes("--json");
  // `help <verb>` for a verb that does not exist: the same answer as the verb itself, with its suggestion.
  const argv =
    args[0] === "help" && args[1] && !args[1].startsWith("-") && !table[args[1]] ? [args[1]] : args;
  let failure: { verb: string | null; message: string } | undefined;
  let exit: number = EXIT.ok;
  const program = buildProgram(
    {
      onError: (verb, message) => {
        failure = { verb, message };
      },
      onRun: async (_verb, spec, input) => {
        exit = await (await spec.load()).run(input);
      },
      sink,
    },
    table,
  );
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.ok;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end this way too, with exit code 0.
      if (error.exitCode === 0) return EXIT.ok;
      const message = usageLine(failure?.verb ?? null, failure?.message ?? error.message);
      if (json) sink.out(`${JSON.stringify({ error: { code: "usage", message } })}\n`);
      else sink.err(`nightshift: ${message}\n`);
      return EXIT.usage;
    }
    if (isUserError(error)) {
      printError(json, { code: "usage", message: error.message });
      return EXIT.usage;
    }
    console.error(error);
    return 1;
  }
}
