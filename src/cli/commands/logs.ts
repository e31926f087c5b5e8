/**
 * `nightshift logs <run> [--follow]`: the run's timeline (its audit events).
 * With `--follow` it keeps polling until the run is final, with a progress
 * line on a terminal, and exits 0 when the run succeeded, 1 when it ended
 * any other way. `--json` prints one event per line (NDJSON). `--step <step>`
 * prints what that step kept instead (`GET /api/runs/:id/steps/:step/log`).
 */
import type { Command } from "../command.ts";
import { apiCommand, EXIT, type Io, positional, text } from "../output.ts";
import { foldedPrinter, type Repeat } from "../folded-lines.ts";
import { type RunLineView, waitingSentence } from "../run-lines.ts";

interface EventView {
  seq: number;
  type: string;
  step: string | null;
  actor: string | null;
  to: string | null;
  data: Record<string, unknown> | null;
  at: number;
  /** Under `?fold=1`: this is the newest of `count` identical events in a row. */
  repeat?: Repeat;
}
interface RunView extends RunLineView {
  state: string;
  status: string;
  steps: number;
  currentStep: string | null;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function formatEvent(e: EventView): string {
  const time = new Date(e.at).toISOString().slice(11, 19);
  const reason = typeof e.data?.reason === "string" ? ` “${e.data.reason}”` : "";
  const error = (e.data?.error as { message?: string } | undefined)?.message;
  const summary = typeof e.data?.summary === "string" ? `  ${e.data.summary.slice(0, 160)}` : "";
  // A failed verification says which checks failed (the whole report: --step <its step>).
  const failing = typeof e.data?.failing === "string" ? `  ${e.data.failing}` : "";
  const step = e.step ? `  [${e.step}]` : "";
  return `${time}  ${e.type}${e.to ? ` → ${e.to}` : ""}${e.actor ? `  (${e.actor})` : ""}${reason}${error ? `  ${error}` : ""}${summary}${failing}${step}`;
}

interface StepLog {
  step: string;
  parts: { ref: string; kind: string; title: string; text: string }[];
}

/** One step's output, each part under a heading; `--json`: the API's answer. */
async function printStep(io: Io, runPath: string, step: string): Promise<number> {
  const log = await io.client.request<StepLog>("GET", `${runPath}/steps/${encodeURIComponent(step)}/log`);
  if (io.json) {
    console.log(JSON.stringify(log));
    return EXIT.ok;
  }
  if (log.parts.length === 0) io.say(`step ${step} kept no output`);
  for (const part of log.parts) {
    io.say(`── ${part.title} (${part.ref})`);
    io.say(part.text);
  }
  return EXIT.ok;
}

const clock = (at: number) => new Date(at).toISOString().slice(11, 19);

/** An event, or the newest of a run of identical ones: "… ×4 since 01:02:03". */
export function formatEntry(e: EventView): string {
  const line = formatEvent(e);
  return e.repeat && e.repeat.count > 1
    ? `${line}  ×${e.repeat.count} since ${clock(e.repeat.firstAt)}`
    : line;
}

/** The progress line of `--follow`: what the run waits for, else its state and steps. */
export function progressLine(run: RunView, now = Date.now()): string {
  return (
    waitingSentence(run, now) ??
    `${run.state} · ${run.steps} steps${run.currentStep ? ` · ${run.currentStep}` : ""}`
  );
}

export const logs: Command = {
  run: (input) =>
    apiCommand(input, async (io, values, positionals) => {
      const id = positional(positionals, 0, "run", "nightshift logs <run> [--follow]");
      const path = `/api/runs/${encodeURIComponent(id)}`;
      const step = text(values.step);
      if (step) return printStep(io, path, step);
      const tty = process.stderr.isTTY && !io.json;
      let after = 0;
      let frame = 0;
      const lines = foldedPrinter(formatEntry, {
        print: io.say,
        // Up a line and over it, when stdout is the terminal and the line fits on one row.
        rewriteLast: (line) => {
          if (!tty || !process.stdout.isTTY || line.length >= (process.stdout.columns ?? 0)) return false;
          process.stdout.write(`\x1b[1A\r\x1b[K${line}\n`);
          return true;
        },
      });
      // Without a terminal for the progress line, what the run waits for is a line when it changes.
      let waited: string | null = null;
      for (;;) {
        const { run } = await io.client.request<{ run: RunView }>("GET", path);
        const { events } = await io.client.request<{ events: EventView[] }>(
          "GET",
          // --json keeps every event; people read identical ones in a row as one line.
          `${path}/events?after=${after}${io.json ? "" : "&fold=1"}`,
        );
        if (tty && events.length) process.stderr.write("\r\x1b[K");
        for (const event of events) {
          if (io.json) console.log(JSON.stringify(event));
          else lines.add(event);
          after = event.seq;
        }
        if (run.status === "final" || !values.follow) {
          lines.end();
          if (tty) process.stderr.write("\r\x1b[K");
          if (!values.follow) return EXIT.ok;
          io.say(`run ${id} ended: ${run.state}`);
          return run.state === "succeeded" ? EXIT.ok : EXIT.failed;
        }
        const waiting = run.waitingFor ? JSON.stringify([run.waitingFor.kind, run.waitingFor.gate]) : null;
        if (!tty && waiting && waiting !== waited) io.say(`· ${waitingSentence(run)}`);
        waited = waiting;
        if (tty) {
          frame = (frame + 1) % SPINNER.length;
          process.stderr.write(`\r\x1b[K${SPINNER[frame]} ${progressLine(run)}`);
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }),
};
