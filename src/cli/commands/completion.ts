/**
 * `nightshift completion bash|zsh`: prints the shell's completion script; `--json` prints the
 * verbs with their arguments and options instead. Both come from the commander program, so a
 * new verb or option completes as soon as it is declared in commands/index.ts.
 */
import type { Command } from "../command.ts";
import { bashScript, verbTree, zshScript } from "../completion.ts";
import { UserError } from "../errors.ts";
import { buildProgram } from "../program.ts";

export const completion: Command = {
  async run({ values, positionals }) {
    const tree = verbTree(buildProgram({ onError: () => {}, onRun: async () => {} }));
    if (values.json) {
      console.log(JSON.stringify({ verbs: tree }));
      return 0;
    }
    const shell = positionals[0];
    if (shell === "bash") process.stdout.write(bashScript(tree));
    else if (shell === "zsh") process.stdout.write(zshScript(tree));
    else throw new UserError("name a shell: nightshift completion bash, or nightshift completion zsh");
    return 0;
  },
};
