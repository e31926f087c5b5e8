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
}
