/**
 * `nightshift resume <run>`: resume a run that failed on infrastructure (an outage past a step's
 * retries) from its last completed step, as a new Workflow instance of the same run. Exit 5 when
 * the run is running, or ended any other way (the message says why).
 */
import type { Command } from "../command.ts";
import { apiCommand, EXIT, positional } from "../output.ts";

export const resume: Command = {
  run: (input) =>
    apiCommand(input, async (io, _values, positionals) => {
      const runId = positional(positionals, 0, "run", "nightshift resume <run>");
      const body = (await io.client.request("POST", `/api/runs/${encodeURIComponent(runId)}/resume`, {})) as {
        resumed: { from: string; resumes: number };
      };
      io.emit(body);
      io.say(
        `${runId}: resumed at ${body.resumed.from} (resume ${body.resumed.resumes}); follow it with nightshift logs ${runId} --follow`,
      );
      return EXIT.ok;
    }),
};
