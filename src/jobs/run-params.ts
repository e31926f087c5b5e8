/** What a run Workflow instance is created with. The job is frozen into the run at start. */
import { z } from "zod";
import { jobSchema } from "./schema.ts";

export const runIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,59}$/,
    "lowercase letters, digits, '-' and '_', starting with a letter or digit (max 60)",
  );

export const runParamsSchema = z.object({
  runId: runIdSchema,
  job: jobSchema,
  input: z.unknown(),
  trigger: z.string(),
  startedAt: z.number(),
  rollbackOf: runIdSchema.optional(),
  resumed: z
    .object({
      count: z.number().int().min(1),
      by: z.string(),
      at: z.number(),
      state: z.string(),
      context: z.unknown(),
      failure: z.unknown(),
      stoppedMs: z.number().min(0),
    })
    .optional(),
});

/** The job is carried already validated (its output shape), so the run never re-reads job files. */
export interface RunParams {
  runId: string;
  job: z.output<typeof jobSchema>;
  input: unknown;
  trigger: string;
  startedAt: number;
  /** Set on a run that undoes another run's DNS change (`nightshift rollback <run>`). */
  rollbackOf?: string;
  /**
   * Set on a resumed run (src/control/resume.ts): the loop starts from the machine state and
   * context its last completed step recorded, instead of from `init`.
   */
  resumed?: ResumedFrom;
}

export interface ResumedFrom {
  /** How many times the run was resumed, this one included (its instance id says it too). */
  count: number;
  by: string;
  /** When it was asked for (ms since epoch): the time of its `run.resumed` event. */
  at: number;
  /** The machine state and context as the run's last journal entry wrote them (the runs row). */
  state: string;
  context: unknown;
  /** The outcome the run failed with, for the audit event. */
  failure: unknown;
  /** How long the run lay failed before this resume: not charged to its wall-clock deadline. */
  stoppedMs: number;
}

/**
 * The Workflow instance that runs a run: its id at first, `<id>_R<n>` after its n-th resume
 * (Workflows never reuse an instance id). Run ids are lowercase, so no run id is ever one of these.
 */
export function workflowInstanceId(runId: string, resumes: number): string {
  return resumes === 0 ? runId : `${runId}_R${resumes}`;
}
