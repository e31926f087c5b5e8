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

/** One problem of a value that is not a session: the zod path inside the session, and what is wrong. */
export interface SessionProblem {
  path: string;
  message: string;
}

/**
 * The first problem of `value` as a session, or null when it is one. A union (an edit
 * writes or deletes) fails as a bare "Invalid input"; this descends into the branch that
 * came closest (fewest issues), so the path and message say which field is wrong.
 */
export function sessionProblem(value: unknown): SessionProblem | null {
  const parsed = sessionSchema.safeParse(value);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  if (!issue) return { path: "", message: "is not a recorded session" };
  return explain(issue, []);
}

type Issue = z.core.$ZodIssue;

function explain(issue: Issue, prefix: PropertyKey[]): SessionProblem {
  const path = [...prefix, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
    const first = closest[0];
    if (first) {
      const inner = explain(first, path);
      const alternatives =
        issue.errors.length > 1 ? `; none of the ${issue.errors.length} accepted shapes fits` : "";
      return { path: inner.path, message: `${inner.message}${alternatives}` };
    }
  }
  if (path.length === 0 && issue.code === "invalid_type")
    return {
      path: "",
      message: `${issue.message} (a recorded session: { version: 1, recordedFrom, rounds })`,
    };
  return { path: path.map(String).join("."), message: issue.message };
}
