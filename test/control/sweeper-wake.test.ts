/**
 * Which runs the sweeper wakes: a run whose recorded sleep is overdue, or that has been silent
 * too long, but not one that has already begun the step after its sleep (that step may outlast
 * the grace: a claim check, a verify), and not one waiting at a gate.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEFAULT_SWEEP, wakeReason } from "../../src/control/sweeper.ts";
import { getRun, insertRun, markRunStarted, readStepStart } from "../../src/store/runs.ts";

const options = (now: number) => ({ now, ...DEFAULT_SWEEP });

describe("the sweeper's wake rule", () => {
  it("wakes an overdue sleep, a silent run, and neither a waiting run nor one inside a step", () => {
    const now = 10_000_000;
    const run = (
      over: Partial<{ status: "running" | "waiting"; wake_at: number | null; updated_at: number }>,
    ) => ({
      status: "running" as const,
      wake_at: null,
      updated_at: now - 1_000,
      ...over,
    });
    expect(wakeReason(run({ wake_at: now - DEFAULT_SWEEP.wakeGraceMs }), options(now))).toBe("sleep overdue");
    expect(wakeReason(run({ wake_at: now - DEFAULT_SWEEP.wakeGraceMs + 1 }), options(now))).toBeNull();
    expect(wakeReason(run({ updated_at: now - DEFAULT_SWEEP.stallAfterMs }), options(now))).toBe(
      "no progress",
    );
    expect(wakeReason(run({ status: "waiting", wake_at: now - 60_000 }), options(now))).toBeNull();
    expect(wakeReason(run({}), options(now))).toBeNull();
  });

  it("wakes every running and waiting run after a restart, whatever its clocks say", () => {
    const now = 10_000_000;
    const after = { ...options(now), afterRestart: true };
    const row = (status: "running" | "waiting" | "starting") => ({ status, wake_at: null, updated_at: now });
    // Waiting too: a crash may have cut off its gate's open or settle step.
    expect(wakeReason(row("waiting"), after)).toBe("engine restarted");
    expect(wakeReason(row("running"), after)).toBe("engine restarted");
    expect(wakeReason(row("starting"), after)).toBeNull();
    expect(wakeReason(row("waiting"), options(now))).toBeNull();
  });

  it("stops counting a sleep as overdue once the step after it has begun", async () => {
    const id = `sweep-step-${crypto.randomUUID().slice(0, 8)}`;
    const now = Date.now();
    expect(await insertRun(env.DB, { id, job: "loop", trigger: "api", input: {}, at: now })).toBe(true);
    await markRunStarted(env.DB, id, now);
    // The journal of the step before a 30 s sleep recorded its end; the sleep ended a minute ago.
    await env.DB.prepare(`UPDATE runs SET wake_at = ?2 WHERE id = ?1`)
      .bind(id, now - 60_000)
      .run();
    expect(wakeReason((await getRun(env.DB, id))!, options(now))).toBe("sleep overdue");

    // The step after the sleep begins (and is still running, e.g. a slow claim check).
    const start = await readStepStart(env.DB, id, null);
    expect(start).toEqual({ cancel: null, artifact: null });
    const row = (await getRun(env.DB, id))!;
    expect(row.wake_at).toBeNull();
    expect(wakeReason(row, options(now))).toBeNull();
  });
});
