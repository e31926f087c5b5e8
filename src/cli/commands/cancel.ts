/** `nightshift cancel <run> [--reason r]`: ask a run to stop. Exit 5 when it already ended. */
import type { Command } from "../command.ts";
import { apiCommand, EXIT, positional, text } from "../output.ts";

export const cancel: Command = {
  run: (input) =>
    apiCommand(input, async (io, values, positionals) => {
      const runId = positional(positionals, 0, "run", "nightshift cancel <run> [--reason r]");
      const reason = text(values.reason);
      const body = await io.client.request("POST", `/api/runs/${encodeURIComponent(runId)}/cancel`, {
        ...(reason ? { reason } : {}),
      });
      io.emit(body);
      io.say(`${runId}: cancel requested`);
      return EXIT.ok;
    }),
};
