/**
 * `nightshift pause <job> [--reason r]` and `nightshift unpause <job> [--reason r]`: hold a
 * job's schedules and webhooks, and let them start runs again (POST /api/jobs/:name/pause and
 * /resume). The verb is `unpause`: `resume` is for a run, not a job.
 */
import type { Command } from "../command.ts";
import { apiCommand, ago, EXIT, positional, text } from "../output.ts";

interface PauseView {
  job: string;
  changed: boolean;
  paused: boolean;
  pausedAt: number | null;
  pausedBy: string | null;
  pauseReason: string | null;
}

function pauseCommand(verb: "pause" | "unpause"): Command {
  return {
    run: (input) =>
      apiCommand(input, async (io, values, positionals) => {
        const job = positional(positionals, 0, "job", `nightshift ${verb} <job> [--reason r]`);
        const reason = text(values.reason);
        const body = await io.client.request<PauseView>(
          "POST",
          `/api/jobs/${encodeURIComponent(job)}/${verb === "pause" ? "pause" : "resume"}`,
          { ...(reason ? { reason } : {}) },
        );
        io.emit(body);
        if (body.paused) {
          const since = body.pausedAt ? ` since ${ago(body.pausedAt)}` : "";
          io.say(
            `${job}: ${body.changed ? "paused" : "already paused"}${since}${body.pausedBy ? ` by ${body.pausedBy}` : ""}${body.pauseReason ? ` “${body.pauseReason}”` : ""}`,
          );
        } else io.say(`${job}: ${body.changed ? "unpaused" : "was not paused"}`);
        return EXIT.ok;
      }),
  };
}

export const pause = pauseCommand("pause");
export const unpause = pauseCommand("unpause");
