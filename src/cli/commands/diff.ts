/**
 * `nightshift diff <run> [--round n] [--stat]`: what the agent changed, from GET
 * /api/runs/:id/diff: the run's whole change, or one round's; `--stat` lists the files.
 * Coloured only when stdout is a terminal (and NO_COLOR is unset).
 */
import type { Command } from "../command.ts";
import { colourDiff, diffStat, formatStat } from "../diff-text.ts";
import { UserError } from "../errors.ts";
import { apiCommand, EXIT, positional, text } from "../output.ts";

interface DiffBody {
  net: { ref: string; diff: string } | null;
  rounds: { ref: string; diff: string }[];
}

/** The diff asked for: the net one, or round `round` (1-based), with a clear failure. */
export function pick(
  id: string,
  body: DiffBody,
  round: string | undefined,
): { ref: string; diff: string } | { missing: string } {
  if (round === undefined)
    return (
      body.net ?? {
        missing: `run ${id} has no whole change recorded (no round finished, or its Sandbox was lost); --round <n> shows one round's`,
      }
    );
  const n = Number(round);
  if (!Number.isInteger(n) || n < 1)
    throw new UserError(`--round must be a round number from 1, not "${round}"`);
  const chosen = body.rounds[n - 1];
  if (chosen) return chosen;
  const count = body.rounds.length;
  return { missing: `run ${id} has ${count} round${count === 1 ? "" : "s"} recorded, not round ${n}` };
}

export const diff: Command = {
  run: (input) =>
    apiCommand(input, async (io, values, positionals) => {
      const id = positional(positionals, 0, "run", "nightshift diff <run> [--round n] [--stat]");
      const body = await io.client.request<DiffBody>("GET", `/api/runs/${encodeURIComponent(id)}/diff`);
      const chosen = pick(id, body, text(values.round));
      if ("missing" in chosen) {
        if (io.json) io.emit({ error: { code: "no_diff", message: chosen.missing } });
        else console.error(`nightshift: ${chosen.missing}`);
        return EXIT.notFound;
      }
      const stat = values.stat === true;
      if (io.json) {
        io.emit(stat ? { ref: chosen.ref, files: diffStat(chosen.diff) } : chosen);
        return EXIT.ok;
      }
      if (stat) io.say(formatStat(diffStat(chosen.diff)));
      else if (chosen.diff === "") io.say(`(${chosen.ref}: no change)`);
      else {
        const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;
        process.stdout.write(colour ? colourDiff(chosen.diff) : chosen.diff);
        if (!chosen.diff.endsWith("\n")) process.stdout.write("\n");
      }
      return EXIT.ok;
    }),
};
