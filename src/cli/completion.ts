/**
 * Shell completion for `nightshift`, generated from the commander program itself so it stays
 * in step with the verbs: `verbTree` reads the program into plain data (also what
 * `completion --json` prints), `bashScript` and `zshScript` render it. Verbs complete first,
 * then each verb's options, the values of options and arguments that have choices, and file
 * names where a value is a file. Pure.
 */
import type { Command as Program } from "commander";

/** How program.ts marks an option that may be given more than once (commander has no field for it). */
export const REPEATABLE = "(repeatable)";

export interface OptionNode {
  /** Every spelling: `["-f", "--follow"]`. */
  names: string[];
  description: string;
  /** Takes a value (`--reason <text>`): its placeholder, else null. */
  value: string | null;
  choices: string[] | null;
  repeatable: boolean;
}

export interface ArgumentNode {
  name: string;
  required: boolean;
  description: string;
  choices: string[] | null;
}

export interface VerbNode {
  name: string;
  summary: string;
  args: ArgumentNode[];
  options: OptionNode[];
}

export function verbTree(program: Program): VerbNode[] {
  const verbs: VerbNode[] = program.commands.map((command) => ({
    name: command.name(),
    summary: command.summary() || command.description(),
    args: command.registeredArguments.map((a) => ({
      name: a.name(),
      required: a.required,
      description: a.description,
      choices: a.argChoices ? [...a.argChoices] : null,
    })),
    options: [
      ...command.options.map((o) => ({
        names: [o.short, o.long].filter((n): n is string => Boolean(n)),
        description: o.description,
        value: o.required || o.optional ? (/[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1] ?? "value") : null,
        choices: o.argChoices ? [...o.argChoices] : null,
        repeatable: o.variadic || o.description.endsWith(REPEATABLE),
      })),
      // commander keeps the help option apart from `options`; completion offers it like any other.
      {
        names: ["-h", "--help"],
        description: "show this help",
        value: null,
        choices: null,
        repeatable: false,
      },
    ],
  }));
  // commander makes the help command on demand, so it is not among `commands`.
  const help: VerbNode = {
    name: "help",
    summary: "show help for a command",
    args: [{ name: "command", required: false, description: "a command", choices: verbs.map((v) => v.name) }],
    options: [],
  };
  return [...verbs, help];
}

/** A value that is a path completes file names (directories for a `dir`). */
function valueKind(placeholder: string): "file" | "dir" | "other" {
  if (/dir/.test(placeholder)) return "dir";
  return /file|path/.test(placeholder) ? "file" : "other";
}

const words = (xs: string[]) => xs.join(" ");

export function bashScript(tree: VerbNode[]): string {
  const verbs = tree.map((v) => v.name);
  const cases = tree.map((verb) => {
    const valued = verb.options.filter((o) => o.value).flatMap((o) => o.names);
    const valueCases = verb.options
      .filter((o) => o.value)
      .map((o) => {
        const reply = o.choices
          ? `COMPREPLY=($(compgen -W "${words(o.choices)}" -- "$cur"))`
          : valueKind(o.value ?? "") === "dir"
            ? `COMPREPLY=($(compgen -d -- "$cur"))`
            : valueKind(o.value ?? "") === "file"
              ? `COMPREPLY=($(compgen -f -- "$cur"))`
              : ":";
        return `        ${o.names.join("|")}) ${reply}; return 0 ;;`;
      });
    const positional = verb.args.map((a) => (a.choices ? words(a.choices) : ""));
    return [
      `    ${verb.name})`,
      ...(valueCases.length ? ['      case "$prev" in', ...valueCases, "      esac"] : []),
      `      opts="${words(verb.options.flatMap((o) => o.names))}"`,
      `      valued=" ${words(valued)} "`,
      `      args=(${positional.map((p) => `"${p}"`).join(" ")})`,
      "      ;;",
    ].join("\n");
  });
  return `# nightshift shell completion for bash (made by: nightshift completion bash).
# Load it with: eval "$(nightshift completion bash)"
_nightshift() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local opts="" valued=" " i n=0
  local -a args=()
  COMPREPLY=()
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${words(verbs)} -h --help -V --version" -- "$cur"))
    return 0
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join("\n")}
    *) return 0 ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return 0
  fi
  # Which positional argument this word is: the words after the verb that are neither
  # options nor an option's value.
  for ((i = 2; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) [[ "$valued" == *" \${COMP_WORDS[i-1]} "* ]] || n=$((n + 1)) ;;
    esac
  done
  if [[ -n "\${args[n]}" ]]; then
    COMPREPLY=($(compgen -W "\${args[n]}" -- "$cur"))
  fi
  return 0
}
complete -o default -F _nightshift nightshift
`;
}

/** Quoted for a zsh single-quoted word, with the characters `_arguments` treats specially escaped. */
function zshText(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/[[\]:]/g, (c) => `\\${c}`)
    .replace(/'/g, "'\\''");
}

function zshAction(value: string, choices: string[] | null): string {
  if (choices) return `(${words(choices)})`;
  const kind = valueKind(value);
  return kind === "dir" ? "_files -/" : kind === "file" ? "_files" : "";
}

function zshOption(o: OptionNode): string {
  const description = `[${zshText(o.description)}]`;
  const value = o.value ? `:${zshText(o.value)}:${zshAction(o.value, o.choices)}` : "";
  const star = o.repeatable ? "*" : "";
  const equals = o.value ? "=" : "";
  if (o.names.length === 1) return `'${star}${o.names[0]}${equals}${description}${value}'`;
  const exclusive = o.repeatable ? "" : `'(${words(o.names)})'`;
  return `${exclusive}${star}{${o.names.map((n) => `${n}${equals}`).join(",")}}'${description}${value}'`;
}

export function zshScript(tree: VerbNode[]): string {
  // _describe splits name from description at the first colon: only the quote needs care.
  const verbs = tree.map((v) => `    '${v.name}:${v.summary.replace(/'/g, "'\\''")}'`);
  const cases = tree.map((verb) => {
    const args = verb.args.map(
      (a, i) => `'${i + 1}:${a.required ? "" : ":"}${zshText(a.name)}:${zshAction(a.name, a.choices)}'`,
    );
    const specs = [...verb.options.map(zshOption), ...args];
    return `        ${verb.name})\n          _arguments -s \\\n            ${specs.join(" \\\n            ")}\n          ;;`;
  });
  return `#compdef nightshift
# nightshift shell completion for zsh (made by: nightshift completion zsh).
# Load it with: eval "$(nightshift completion zsh)" after compinit, or save it as _nightshift in $fpath.
_nightshift() {
  local state line
  local -a verbs
  verbs=(
${verbs.join("\n")}
  )
  _arguments -C '1: :->verb' '*:: :->args'
  case $state in
    verb) _describe -t commands 'nightshift command' verbs ;;
    args)
      case $line[1] in
${cases.join("\n")}
      esac
      ;;
  esac
}
if [[ "\${funcstack[1]}" == "_nightshift" ]]; then
  _nightshift "$@"
else
  compdef _nightshift nightshift
fi
`;
}
