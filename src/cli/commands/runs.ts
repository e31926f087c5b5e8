/** `nightshift runs [--job j] [--state s] [--status st] [--limit n]`: recent runs, newest first. */
import type { Command } from "../command.ts";
import { ago, apiCommand, EXIT, table, text } from "../output.ts";

interface RunView {
  id: string;
  job: string;
  state: string;
  status: string;
  createdAt: number;
  updatedAt: number;
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
      else
        io.say(
          table([
            ["RUN", "JOB", "STATE", "STATUS", "STARTED", "UPDATED"],
            ...body.runs.map((r) => [r.id, r.job, r.state, r.status, ago(r.createdAt), ago(r.updatedAt)]),
          ]),
        );
      return EXIT.ok;
    }),
};
