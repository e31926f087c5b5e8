/** The pure scheduling decisions: which minutes a tick evaluates, which jobs are due, what a policy allows. */
import { describe, expect, it } from "vitest";
import { buildRegistry } from "../../src/jobs/registry.ts";
import { admit, failuresToPause } from "../../src/triggers/policy.ts";
import { dueSchedules, tickMinutes } from "../../src/triggers/schedule.ts";

const T = Date.parse("2026-08-24T03:00:00Z"); // a Monday
const M = 60_000;

describe("tickMinutes", () => {
  it.each([
    ["the first tick ever: its own minute", T + 17_000, null, [T]],
    ["a tick a minute after the last", T + M + 2_000, T, [T + M]],
    ["a late tick catches up the minutes it missed", T + 3 * M + 1_000, T, [T + M, T + 2 * M, T + 3 * M]],
    ["but at most 5 minutes back", T + 60 * M, T, [55, 56, 57, 58, 59, 60].map((n) => T + n * M)],
    ["a repeated tick re-evaluates its own minute (deduped by run id)", T + 5_000, T, [T]],
    ["an out-of-order tick evaluates only its own minute", T - 10 * M, T, [T - 10 * M]],
  ])("%s", (_what, tick, last, minutes) => {
    expect(tickMinutes(tick, last)).toEqual(minutes);
  });
});

describe("dueSchedules", () => {
  const base = {
    source: { kind: "directory", path: "p" },
    agent: { adapter: "fake", instructions: "x" },
    deploy: { workerName: "w" },
    verify: { probes: [{ path: "/" }] },
  };
  const registry = buildRegistry([
    {
      file: "workflows/nightly.ts",
      definition: {
        ...base,
        name: "nightly",
        triggers: [
          { kind: "schedule", cron: "0 3 * * *" },
          { kind: "schedule", cron: "0 3 * * 1" },
        ],
      },
    },
    {
      file: "workflows/hourly.ts",
      definition: { ...base, name: "hourly", triggers: [{ kind: "schedule", cron: "0 * * * *" }] },
    },
    { file: "workflows/manual.ts", definition: { ...base, name: "manual" } },
  ]);

  it("lists each due job once, even when two of its crons match", () => {
    expect(registry.problems).toEqual([]);
    const due = dueSchedules(registry.jobs.values(), T);
    expect(due.map((d) => [d.job.name, d.trigger.cron])).toEqual([
      ["nightly", "0 3 * * *"],
      ["hourly", "0 * * * *"],
    ]);
    expect(dueSchedules(registry.jobs.values(), T + M)).toEqual([]);
  });
});

describe("admit", () => {
  it.each([
    ["skip", false, 0, 0, { action: "start" }],
    ["skip", false, 1, 0, { action: "skip", reason: "active" }],
    ["queue", false, 0, 0, { action: "start" }],
    ["queue", false, 1, 0, { action: "queue" }],
    ["queue", false, 0, 2, { action: "queue" }],
    ["allow", false, 3, 0, { action: "start" }],
    ["allow", true, 0, 0, { action: "skip", reason: "paused" }],
  ] as const)(
    "%s, paused %s, %i active, %i queued → %j",
    (concurrency, paused, activeRuns, queued, expected) => {
      expect(admit({ concurrency, paused, activeRuns, queued })).toEqual(expected);
    },
  );
});

describe("failuresToPause", () => {
  const run = (id: string, state: string, endedAt: number) => ({ id, state, endedAt });

  it("pauses when the last N finished runs all failed", () => {
    const recent = [run("c", "failed", 30), run("b", "budgetExhausted", 20), run("a", "succeeded", 10)];
    expect(failuresToPause(recent, 2, null)?.map((r) => r.id)).toEqual(["c", "b"]);
    expect(failuresToPause(recent, 3, null)).toBeNull();
  });

  it("does not count rejections or cancellations, runs before a resume, or N = 0", () => {
    expect(failuresToPause([run("b", "failed", 20), run("a", "rejected", 10)], 2, null)).toBeNull();
    expect(failuresToPause([run("b", "failed", 20), run("a", "failed", 10)], 2, 15)).toBeNull();
    expect(failuresToPause([run("a", "failed", 10)], 0, null)).toBeNull();
  });
});
