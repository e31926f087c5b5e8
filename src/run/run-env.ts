/** What every effect of one run works with. */
import type { Job } from "../jobs/schema.ts";
import type { Ports } from "../ports/index.ts";

export interface RunEnv {
  db: D1Database;
  ports: Ports;
  job: Job;
  runId: string;
  /** The run's input (what its trigger asked for). */
  input?: unknown;
}
