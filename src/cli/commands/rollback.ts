/**
 * `nightshift rollback <run> [--id rollback-run-id]`: start the run that undoes
 * `<run>`'s DNS change. It waits at its own `rollback` gate; approve it like any
 * gate. Exit 5 when there is nothing to undo or the run has not ended.
 */
import type { Command } from "../command.ts";
import { apiCommand, EXIT, positional, text } from "../output.ts";

export const rollback: Command = {
  run: (input) =>
    apiCommand(input, async (io, values, positionals) => {
      const of = positional(positionals, 0, "run", "nightshift rollback <run> [--id id]");
      const id = text(values.id);
      const body = (await io.client.request("POST", `/api/runs/${encodeURIComponent(of)}/rollback`, {
        ...(id ? { id } : {}),
      })) as { run: { id: string } };
      io.emit(body);
      io.say(
        `${body.run.id}: rolling back ${of}; it waits at the rollback gate (nightshift gates, then nightshift approve ${body.run.id} rollback)`,
      );
      return EXIT.ok;
    }),
};
