/** `nightshift runs [--job j] [--state s] [--status st] [--limit n]`: recent runs, newest first. */
import type { Command } from "../command.ts";
import { ago, apiCommand, EXIT, table, text } from "../output.ts";
import { type RunLineView, runCost, runDuration, waitingSentence } from "../run-lines.ts";

interface RunView extends RunLineView {
  id: string;
  job: string;
  state: string;
}

export function runsTable(runs: readonly RunView[], now = Date.now()): string {
  return table([
    ["RUN", "JOB", "STATE", "STATUS", "STARTED", "TOOK", "COST", "WAITING FOR"],
    ...runs.map((r) => [
      r.id,
      r.job,
      r.state,
      r.status,
      ago(r.createdAt, now),
      runDuration(r, now),
      runCost(r),
      waitingSentence(r, now)?.replace(/^waiting for /, "") ?? "—",
    ]),
  ]);
}

export const runs: Command = {
  run: (input) =>
    apiCommand(input, async (io, values) => {
      const query = new URLSearchParams();
      for (const key of ["job", "state", "status", "limit"]) {
        const value = text(values[key]);
        if (value) query.set(key, value);
      }
      const body = await io.client.request<{ runs: RunView[] }>("GET", `/api/runs?${query}`);
      io.emit(body);
      if (body.runs.length === 0) io.say("no runs");
      else io.say(runsTable(body.runs));
      return EXIT.ok;
    }),
};
