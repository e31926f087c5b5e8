/**
 * A recorded agent session: what a coding agent did, round by round (file
 * edits, commands, tokens), so a job's behaviour can be pinned and replayed
 * offline. Stored beside the job in `workflows/` as JSON.
 */
import { z } from "zod";

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), "a path inside the workspace");

export const editSchema = z.union([
  z.strictObject({ path: relativePath, content: z.string() }),
  z.strictObject({ path: relativePath, delete: z.literal(true) }),
]);

export const roundSchema = z.strictObject({
  summary: z.string(),
  /** Text the round's input report must contain: a fix round repairs what the report says. */
  expectReport: z.string().optional(),
  edits: z.array(editSchema).default([]),
  commands: z.array(z.string().min(1)).default([]),
  usage: z
    .strictObject({
      tokensIn: z.number().int().nonnegative(),
      tokensOut: z.number().int().nonnegative(),
      costUsd: z.number().nonnegative(),
    })
    .default({ tokensIn: 0, tokensOut: 0, costUsd: 0 }),
});

export const sessionSchema = z.strictObject({
  version: z.literal(1),
  /** Which agent and model produced the recording, for the label shown wherever it replays. */
  recordedFrom: z.string().min(1),
  rounds: z.array(roundSchema).min(1),
});

export type RecordedSession = z.output<typeof sessionSchema>;
export type RecordedRound = z.output<typeof roundSchema>;
