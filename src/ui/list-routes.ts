/**
 * The inbox's lists: the gates waiting on someone (the inbox's front page) and
 * the runs, filtered by job and state.
 */
import type { Hono } from "hono";
import { listGates } from "../store/gates.ts";
import { distinctJobs, runsByIds } from "../store/inbox-queries.ts";
import { listRuns } from "../store/runs.ts";
import type { InboxEnv } from "./inbox-http.ts";
import { htmlResponse } from "./layout.ts";
import { gatesPage, runsPage } from "./pages/lists.ts";

export function mountListRoutes(inbox: Hono<InboxEnv>, options: { now: () => number }): void {
  const { now } = options;

  inbox.get("/", async (c) => {
    const gates = await listGates(c.env.DB, { status: "pending" });
    const runs = await runsByIds(
      c.env.DB,
      gates.map((g) => g.run_id),
    );
    return htmlResponse(gatesPage({ principal: c.get("principal"), gates, runs, now: now() }));
  });

  inbox.get("/runs", async (c) => {
    const job = c.req.query("job") || undefined;
    const state = c.req.query("state") || undefined;
    const runs = await listRuns(c.env.DB, { job, state, limit: 100 });
    const jobs = await distinctJobs(c.env.DB);
    const pending = Map.groupBy(await listGates(c.env.DB, { status: "pending" }), (g) => g.run_id);
    return htmlResponse(
      runsPage({ principal: c.get("principal"), runs, pending, jobs, filter: { job, state }, now: now() }),
    );
  });
}
