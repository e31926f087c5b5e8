/** What the gate steps of a run work with: the run's own env, narrowed to what gates use. */
import type { Job } from "../jobs/schema.ts";
import type { Ports } from "../ports/index.ts";

export interface GateRunEnv {
  db: D1Database;
  runId: string;
  job: Job;
  ports: Pick<Ports, "notifier" | "clock" | "apiBase">;
}
