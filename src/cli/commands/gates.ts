/** `nightshift gates [--all]`: gates waiting for a decision (oldest first), or all of them. */
import type { Command } from "../command.ts";
import { ago, apiCommand, EXIT, left, table } from "../output.ts";

interface GateView {
  ref: string;
  runId: string;
  kind: string;
  status: string;
  openedAt: number;
  deadlineAt: number;
  decidedBy: string | null;
}

export const gates: Command = {
  run: (input) =>
    apiCommand(input, async (io, values) => {
      const body = await io.client.request<{ gates: GateView[] }>(
        "GET",
        values.all ? "/api/gates" : "/api/gates?status=pending",
      );
      io.emit(body);
      if (body.gates.length === 0) io.say(values.all ? "no gates" : "no gate is waiting");
      else
        io.say(
          table([
            ["RUN", "GATE", "STATUS", "OPENED", "DEADLINE"],
            ...body.gates.map((g) => [
              g.runId,
              g.ref,
              g.status === "pending" ? g.status : `${g.status}${g.decidedBy ? ` by ${g.decidedBy}` : ""}`,
              ago(g.openedAt),
              g.status === "pending" ? left(g.deadlineAt) : "-",
            ]),
          ]),
        );
      return EXIT.ok;
    }),
};
