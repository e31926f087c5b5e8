/**
 * `nightshift rerun <run>`: a new run of the same job with the same input, from the start (for a
 * run that failed on infrastructure, `resume` goes on from its last good step instead). Exit 5,
 * saying why, for a run that has not ended or whose job is gone.
 */
import type { Command } from "../command.ts";
import { apiCommand, EXIT, positional } from "../output.ts";

export const rerun: Command = {
  run: (input) =>
    apiCommand(input, async (io, values, positionals) => {
      const runId = positional(positionals, 0, "run", "nightshift rerun <run>");
      const body = (await io.client.request("POST", `/api/runs/${encodeURIComponent(runId)}/rerun`, {
        ...(typeof values.id === "string" ? { id: values.id } : {}),
      })) as { run: { id: string } };
      io.emit(body);
      io.say(
        `${body.run.id}: started again from ${runId}; follow it with nightshift logs ${body.run.id} --follow`,
      );
      return EXIT.ok;
    }),
};
