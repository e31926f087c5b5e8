/**
 * `nightshift reset`: deletes the local stack's state (runs, gates, temporary accounts and their
 * Workers, Sandboxes, wrangler's caches, the example's mark) so the next `nightshift start`
 * begins afresh. It keeps the API token. It asks first (or takes `--yes`), and refuses while a
 * stack runs on that state directory: deleting under a running stack would corrupt it.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { mountsUnder, unmount } from "../../local/sandbox-host/system.ts";
import type { Command } from "../command.ts";
import { UserError } from "../errors.ts";
import { EXIT, printError, text } from "../output.ts";
import { projectRoot } from "../project.ts";
import { KEPT_BY_RESET, runningStack } from "../state-dir.ts";

async function confirmed(stateDir: string, entries: readonly string[]): Promise<boolean> {
  if (!process.stdin.isTTY)
    throw new UserError(`reset deletes ${entries.join(", ")} in ${stateDir}; pass --yes to confirm`);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(
      `Delete ${entries.join(", ")} in ${stateDir} (runs, gates, accounts, Sandboxes)? [y/N] `,
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

export const reset: Command = {
  async run({ values }) {
    const json = values.json === true;
    const stateDir = text(values["state-dir"]) ?? join(projectRoot(), ".nightshift");
    const names = (await readdir(stateDir).catch(() => [] as string[])).sort();
    const report = (removed: string[]) => {
      const kept = KEPT_BY_RESET.filter((name) => names.includes(name));
      if (json) console.log(JSON.stringify({ stateDir, removed, kept }));
      else if (!removed.length) console.log(`nothing to reset in ${stateDir}`);
      else
        console.log(
          `removed ${removed.join(", ")} from ${stateDir}${kept.length ? ` (kept ${kept.join(", ")})` : ""}`,
        );
    };
    const doomed = names.filter((name) => !(KEPT_BY_RESET as readonly string[]).includes(name));
    if (!doomed.length) {
      report([]);
      return EXIT.ok;
    }
    const stack = await runningStack(stateDir);
    if (stack) {
      printError(json, {
        code: "conflict",
        message: `a stack runs on ${stateDir} (pid ${stack.pid}, port ${stack.port}): stop it (Ctrl-C) first`,
      });
      return EXIT.conflict;
    }
    if (values.yes !== true && !(await confirmed(stateDir, doomed))) {
      console.error("nothing deleted");
      return EXIT.failed;
    }
    // A Sandbox host killed outright leaves its overlay mounts behind: off first, deepest first,
    // so nothing below them is deleted through a mount.
    for (const mount of await mountsUnder(stateDir)) await unmount(mount);
    for (const name of doomed) await rm(join(stateDir, name), { recursive: true, force: true });
    report(doomed);
    return EXIT.ok;
  },
};
