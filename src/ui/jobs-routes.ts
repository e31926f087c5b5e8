/** The inbox's jobs page (`/inbox/jobs`): the registry's jobs with their paused state and newest run. */
import type { Hono } from "hono";
import type { JobRegistry } from "../jobs/registry.ts";
import { latestRunOfEachJob } from "../store/inbox-queries.ts";
import { listJobStates } from "../store/job-state.ts";
import type { InboxEnv } from "./inbox-http.ts";
import { htmlResponse } from "./layout.ts";
import { jobsPage } from "./pages/jobs.ts";

export function mountJobsRoutes(
  inbox: Hono<InboxEnv>,
  options: { now: () => number; registry: JobRegistry },
): void {
  inbox.get("/jobs", async (c) => {
    const states = new Map((await listJobStates(c.env.DB)).map((s) => [s.job, s]));
    return htmlResponse(
      jobsPage({
        principal: c.get("principal"),
        jobs: [...options.registry.jobs.values()],
        states,
        latest: await latestRunOfEachJob(c.env.DB),
        problems: options.registry.problems,
        now: options.now(),
      }),
    );
  });
}
