/**
 * The inbox's run list (how long each run took, what it cost, relative times with the exact
 * one beside) and its jobs page (each job's triggers, paused state and newest run), both as
 * rendered and as the Worker serves them.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildRegistry } from "../../src/jobs/registry.ts";
import { pauseJob } from "../../src/store/job-state.ts";
import { insertRun } from "../../src/store/runs.ts";
import { relativeTime, runDuration } from "../../src/ui/format.ts";
import { jobsPage, triggerText } from "../../src/ui/pages/jobs.ts";
import { gatesPage, runsPage } from "../../src/ui/pages/lists.ts";
import { GATES, NOW, RUNS } from "../support/inbox/fixtures.ts";
import { api } from "../run/harness.ts";
import { testJobFiles } from "../fixtures/jobs/index.ts";

const principal = { identity: "ann@example.com", roles: ["approver" as const], via: "token" as const };
const MIN = 60_000;

describe("times in the inbox", () => {
  it("reads relative, past and future", () => {
    expect(relativeTime(NOW - 20_000, NOW)).toBe("just now");
    expect(relativeTime(NOW - 3 * MIN, NOW)).toBe("3 min ago");
    expect(relativeTime(NOW - 5 * 60 * MIN, NOW)).toBe("5 h ago");
    expect(relativeTime(NOW - 49 * 60 * MIN, NOW)).toBe("2 d ago");
    expect(relativeTime(NOW + 4 * MIN, NOW)).toBe("in 4 min");
  });
  it("counts a final run until it ended and an active one until now", () => {
    expect(runDuration({ status: "final", created_at: NOW - 10 * MIN, updated_at: NOW - 2 * MIN }, NOW)).toBe(
      "8m 00s",
    );
    expect(
      runDuration({ status: "waiting", created_at: NOW - 10 * MIN, updated_at: NOW - 2 * MIN }, NOW),
    ).toBe("10m 00s");
  });
});

describe("the run list", () => {
  const markup = runsPage({
    principal,
    runs: RUNS,
    pending: Map.groupBy(GATES, (g) => g.run_id),
    jobs: ["hello-kv", "nightly"],
    filter: {},
    now: NOW,
  }).text;
  const row = (id: string) => new RegExp(`<tr data-run="${id}">.*?</tr>`).exec(markup)?.[0] ?? "";

  it("shows how long each run took and what it cost", () => {
    expect(markup).toContain('<th scope="col">Took</th><th scope="col">Cost</th>');
    expect(row("nightly-0115-0300")).toContain('<td class="num">8m 20s</td><td class="num">$1.50</td>');
    expect(row("hello-kv-0115-0918")).toContain('<td class="num">12m 05s</td><td class="num">$0.42</td>');
    expect(row("hello-kv-0114-2210")).toContain('<td class="num">—</td>');
  });

  it("says when, relative, with the exact time in datetime and title; no raw UTC as the text", () => {
    expect(row("hello-kv-0115-0918")).toContain(
      '<time datetime="2026-01-15T09:17:55.000Z" title="2026-01-15T09:17:55Z" data-at="1768468675000">12 min ago</time>',
    );
    expect(row("nightly-0115-0300")).toContain(">7 h ago</time>");
    expect(markup).not.toMatch(/<td>2026-/);
  });

  it("does the same for the gates waiting", () => {
    const gates = gatesPage({
      principal,
      gates: GATES,
      runs: new Map(RUNS.map((r) => [r.id, r])),
      now: NOW,
    }).text;
    expect(gates).toContain(">3 min ago</time>");
    expect(gates).not.toMatch(/<td>2026-/);
  });
});

describe("the jobs page", () => {
  const registry = buildRegistry(testJobFiles);

  it("says how each job is triggered", () => {
    const nightly = registry.jobs.get("nightly");
    expect(nightly?.triggers.map(triggerText)).toEqual(["schedule 0 3 * * *", "schedule 0 3 * * 1"]);
    expect(registry.jobs.get("hook-build")?.triggers.map(triggerText)).toEqual([
      "webhook acme (event=build.requested)",
    ]);
    expect(registry.jobs.get("loop")?.triggers.map(triggerText)).toEqual(["by hand"]);
  });

  it("renders each job with its state and newest run, linking to its runs", () => {
    const markup = jobsPage({
      principal,
      jobs: [...registry.jobs.values()],
      states: new Map([
        [
          "nightly",
          {
            job: "nightly",
            paused: true,
            paused_at: NOW - 2 * 60 * MIN,
            paused_by: "ann@example.com",
            pause_reason: "flaky upstream",
          } as never,
        ],
      ]),
      latest: new Map([["nightly", RUNS[1]!]]),
      now: NOW,
    }).text;
    const row = /<tr data-job="nightly">.*?<\/tr>/.exec(markup)?.[0] ?? "";
    expect(row).toContain('<a href="/inbox/runs?job=nightly">nightly</a>');
    expect(row).toContain('<span class="badge fail">paused</span>');
    expect(row).toContain("by ann@example.com · “flaky upstream”");
    expect(row).toContain(
      '<a href="/inbox/runs/nightly-0115-0300">nightly-0115-0300</a> · succeeded · <time',
    );
    expect(/<tr data-job="loop">.*?<\/tr>/.exec(markup)?.[0]).toMatch(/badge">active<.*none yet/);
  });

  it("is served at /inbox/jobs with live data, and linked from every page's navigation", async () => {
    const at = Date.now();
    await insertRun(env.DB, {
      id: "jobs-page-old",
      job: "hook-build",
      trigger: "api",
      input: {},
      at: at - 5 * MIN,
    });
    await insertRun(env.DB, {
      id: "jobs-page-new",
      job: "hook-build",
      trigger: "api",
      input: {},
      at: at - MIN,
    });
    await pauseJob(env.DB, "hook-build", { by: "ann@example.com", reason: "upstream down", at });
    const response = await api("/inbox/jobs");
    expect(response.status).toBe(200);
    const markup = await response.text();
    const row = /<tr data-job="hook-build">.*?<\/tr>/s.exec(markup)?.[0] ?? "";
    expect(row).toContain("webhook acme (event=build.requested)");
    expect(row).toContain("paused</span>");
    expect(row).toContain("“upstream down”");
    expect(row).toContain('<a href="/inbox/runs/jobs-page-new">jobs-page-new</a> · preparing');
    expect(row).not.toContain("jobs-page-old");
    expect(markup).toContain('<a href="/inbox/jobs">Jobs</a>');
    expect(await (await api("/inbox/runs")).text()).toContain('<a href="/inbox/jobs">Jobs</a>');
  });
});
