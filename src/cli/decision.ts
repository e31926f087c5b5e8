/**
 * `nightshift approve <run> <gate> [--reason r] [--shown-hash h]` and
 * `nightshift reject <run> <gate> --reason r`. `<gate>` is a kind (`claim`) or
 * kind and round (`claim-2`). Exit 3 when not allowed, 5 when the gate is not
 * pending or changed since `--shown-hash`.
 */
import type { Command } from "./command.ts";
import { UserError } from "./errors.ts";
import { apiCommand, EXIT, positional, text } from "./output.ts";

export function decisionCommand(decision: "approve" | "reject"): Command {
  const usage = `nightshift ${decision} <run> <gate> ${decision === "reject" ? "--reason r" : "[--reason r]"} [--shown-hash h]`;
  return {
    run: (input) =>
      apiCommand(input, async (io, values, positionals) => {
        const runId = positional(positionals, 0, "run", usage);
        const gate = positional(positionals, 1, "gate", usage);
        const reason = text(values.reason);
        if (decision === "reject" && !reason?.trim())
          throw new UserError(`a rejection needs --reason; usage: ${usage}`);
        const shownHash = text(values["shown-hash"]);
        const body = await io.client.request<{
          gate: { ref: string; status: string; decidedBy: string };
          delivered: boolean;
          /** A gate that needs two approvers answers 202 to the first one. */
          approvals?: { required: number; by: string[] };
        }>("POST", `/api/runs/${encodeURIComponent(runId)}/gates/${encodeURIComponent(gate)}/${decision}`, {
          ...(reason ? { reason } : {}),
          ...(shownHash ? { shownHash } : {}),
        });
        io.emit(body);
        if (body.gate.status === "pending" && body.approvals) {
          io.say(
            `${runId} ${body.gate.ref}: approval ${body.approvals.by.length} of ${body.approvals.required} recorded (by ${body.approvals.by.join(", ")}); it waits for another approver`,
          );
          return EXIT.ok;
        }
        io.say(
          `${runId} ${body.gate.ref}: ${body.gate.status} by ${body.gate.decidedBy}${body.delivered ? "" : " (the run will be woken by the sweeper)"}`,
        );
        return EXIT.ok;
      }),
  };
}
