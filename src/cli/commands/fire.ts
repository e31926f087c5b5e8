/**
 * `nightshift fire <job>`: fire the job's schedule now (POST /api/jobs/:name/schedule/fire),
 * as the scheduler would: the run starts, queues behind an active one, or is skipped, as the
 * job's concurrency and paused state say. Exit 1 when skipped, 5 when the job has no schedule.
 */
import type { Command } from "../command.ts";
import { apiCommand, EXIT, positional } from "../output.ts";

type Fired =
  | { outcome: "started" | "existing" | "queued"; runId: string }
  | { outcome: "skipped"; runId: string; reason: "paused" | "active" };

const SKIPPED = { paused: "the job is paused (nightshift unpause)", active: "a run of the job is active" };

export const fire: Command = {
  run: (input) =>
    apiCommand(input, async (io, _values, positionals) => {
      const job = positional(positionals, 0, "job", "nightshift fire <job>");
      const body = await io.client.request<Fired>(
        "POST",
        `/api/jobs/${encodeURIComponent(job)}/schedule/fire`,
        {},
      );
      io.emit(body);
      switch (body.outcome) {
        case "started":
          io.say(`${job}: started run ${body.runId}`);
          return EXIT.ok;
        case "existing":
          io.say(`${job}: run ${body.runId} was already started for this minute`);
          return EXIT.ok;
        case "queued":
          io.say(`${job}: queued run ${body.runId}; it starts when the active run ends`);
          return EXIT.ok;
        case "skipped":
          io.say(`${job}: skipped, ${SKIPPED[body.reason] ?? body.reason}`);
          return EXIT.failed;
      }
    }),
};
