/**
 * A job as plain data: what may cross a wire (Workflow params, API answers).
 * Job files are TypeScript, so a webhook trigger may carry a zod schema and a
 * mapping function; those run in the Worker at delivery time and are replaced
 * here by a marker saying they exist. Pure.
 */
import type { Job, Trigger } from "./schema.ts";

export type PlainTrigger =
  | Exclude<Trigger, { kind: "webhook" }>
  | (Omit<Extract<Trigger, { kind: "webhook" }>, "input" | "map"> & { mapsInput?: true });

export function plainTrigger(trigger: Trigger): PlainTrigger {
  if (trigger.kind !== "webhook") return trigger;
  const { input, map, ...rest } = trigger;
  return input || map ? { ...rest, mapsInput: true } : rest;
}

/** The job without code: safe to serialize into a Workflow instance's params (still a valid `Job`). */
export function plainJob(job: Job): Job {
  const triggers = job.triggers.map((trigger): Trigger => {
    if (trigger.kind !== "webhook") return trigger;
    const { input: _input, map: _map, ...rest } = trigger;
    return rest;
  });
  return { ...job, triggers };
}
