/**
 * `nightshift jobs`: every job with its triggers and whether it is paused, then the job files
 * that do not load (file:line:column), from GET /api/jobs.
 */
import { formatProblem, type JobProblem } from "../../jobs/registry.ts";
import type { Command } from "../command.ts";
import { ago, apiCommand, EXIT, table } from "../output.ts";

interface TriggerView {
  kind: string;
  cron?: string;
  source?: string;
  filter?: Record<string, string>;
}
interface JobView {
  name: string;
  triggers: TriggerView[];
  concurrency: string;
  file?: string;
  paused: boolean;
  pausedAt: number | null;
  pausedBy: string | null;
  pauseReason: string | null;
}
export function describeTrigger(t: TriggerView): string {
  if (t.kind === "schedule") return `cron ${t.cron}`;
  if (t.kind === "webhook") {
    const filter = Object.entries(t.filter ?? {}).map(([k, v]) => `${k}=${v}`);
    return `webhook ${t.source}${filter.length ? ` ${filter.join(",")}` : ""}`;
  }
  return t.kind;
}

function state(job: JobView): string {
  if (!job.paused) return "active";
  return [
    "paused",
    job.pausedAt ? ago(job.pausedAt) : "",
    job.pausedBy ? `by ${job.pausedBy}` : "",
    job.pauseReason ? `“${job.pauseReason}”` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

export const jobs: Command = {
  run: (input) =>
    apiCommand(input, async (io) => {
      const body = await io.client.request<{ jobs: JobView[]; problems: JobProblem[] }>("GET", "/api/jobs");
      io.emit(body);
      if (body.jobs.length === 0) io.say("no jobs");
      else
        io.say(
          table([
            ["JOB", "TRIGGERS", "CONCURRENCY", "STATE"],
            ...body.jobs.map((j) => [
              j.name,
              j.triggers.map(describeTrigger).join("; "),
              j.concurrency,
              state(j),
            ]),
          ]),
        );
      if (body.problems.length) {
        const files = new Set(body.problems.map((p) => p.file)).size;
        io.say(`\n${files} job file${files === 1 ? "" : "s"} not loaded:`);
        for (const p of body.problems) io.say(`  ${formatProblem(p)}`);
      }
      return EXIT.ok;
    }),
};
