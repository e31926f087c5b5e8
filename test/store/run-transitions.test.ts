/**
 * The run row's writes (src/store/run-transitions.ts) against real D1: a transition never
 * reopens a closed run, a step is charged to the budget once however often it runs, and an
 * abort does not overwrite how a run already ended.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  budgetLineStatement,
  markRunAborted,
  markRunFinal,
  reopenAbortedRun,
  runTransitionStatement,
  undoReopen,
} from "../../src/store/run-transitions.ts";
import { getRun, insertRun } from "../../src/store/runs.ts";

async function newRun(): Promise<string> {
  const id = `store-${crypto.randomUUID().slice(0, 8)}`;
  expect(await insertRun(env.DB, { id, job: "loop", trigger: "api", input: {}, at: 1_000 })).toBe(true);
  return id;
}

const transition = (runId: string, state: string, at: number) =>
  runTransitionStatement(env.DB, {
    runId,
    state,
    status: "running",
    context: { seq: at },
    outcome: null,
    step: `step@${at}`,
    wakeAt: at + 30_000,
    at,
  });

describe("a run's transitions in D1", () => {
  it("takes the newest state, counts steps, and never reopens a final run", async () => {
    const id = await newRun();
    await transition(id, "writing", 2_000).run();
    await transition(id, "deploying", 3_000).run();
    let row = (await getRun(env.DB, id))!;
    expect(row).toMatchObject({ state: "deploying", status: "running", step_count: 2, wake_at: 33_000 });

    await markRunFinal(env.DB, id, "succeeded", 4_000);
    // A retried step that finishes late must not bring the run back.
    await transition(id, "verifying", 5_000).run();
    row = (await getRun(env.DB, id))!;
    expect(row).toMatchObject({ state: "succeeded", status: "final", wake_at: null, step_count: 2 });
  });

  it("charges a step to the budget once, however often its journal is written", async () => {
    const id = await newRun();
    const line = {
      runId: id,
      step: "write#1",
      tokens: 120,
      costUsd: 0.5,
      sandboxMs: 900,
      deploys: 0,
      at: 2_000,
    };
    await env.DB.batch([
      budgetLineStatement(env.DB, line),
      budgetLineStatement(env.DB, { ...line, tokens: 999 }),
    ]);
    await budgetLineStatement(env.DB, line).run();
    const { results } = await env.DB.prepare(
      `SELECT step, tokens, cost_usd FROM budget_ledger WHERE run_id = ?1`,
    )
      .bind(id)
      .all();
    expect(results).toEqual([{ step: "write#1", tokens: 120, cost_usd: 0.5 }]);
  });

  it("aborts a live run as failed with why, but leaves a run that already ended as it ended", async () => {
    const live = await newRun();
    await markRunAborted(env.DB, live, { reason: "host gone", code: "workflow_error" }, 2_000);
    expect((await getRun(env.DB, live))!).toMatchObject({ status: "final", state: "failed" });

    const ended = await newRun();
    await markRunFinal(env.DB, ended, "rejected", 2_000);
    await markRunAborted(env.DB, ended, { reason: "late fault", code: "workflow_error" }, 3_000);
    expect((await getRun(env.DB, ended))!).toMatchObject({ status: "final", state: "rejected" });
  });

  it("keeps the state an abort ended, reopens it once per resume, and undoes a reopen", async () => {
    const id = await newRun();
    await transition(id, "deploying", 2_000).run();
    const outcome = { reason: "host gone", code: "outage" };
    expect(await markRunAborted(env.DB, id, outcome, 3_000)).toBe("deploying");
    expect((await getRun(env.DB, id))!).toMatchObject({
      state: "failed",
      aborted_in: "deploying",
      resumes: 0,
    });
    // Only as the first resume, and only once: a second caller with the same count loses.
    expect(await reopenAbortedRun(env.DB, { runId: id, resumes: 2, at: 4_000 })).toBe(false);
    expect(await reopenAbortedRun(env.DB, { runId: id, resumes: 1, at: 4_000 })).toBe(true);
    expect(await reopenAbortedRun(env.DB, { runId: id, resumes: 1, at: 4_000 })).toBe(false);
    expect((await getRun(env.DB, id))!).toMatchObject({
      status: "running",
      state: "deploying",
      aborted_in: null,
      outcome_json: null,
      resumes: 1,
    });
    await undoReopen(env.DB, { runId: id, resumes: 1, state: "deploying", outcome, at: 5_000 });
    expect((await getRun(env.DB, id))!).toMatchObject({
      status: "final",
      state: "failed",
      aborted_in: "deploying",
      outcome_json: outcome,
      resumes: 0,
    });
    // A run that ended by itself is never reopened.
    const ended = await newRun();
    await markRunFinal(env.DB, ended, "failed", 2_000);
    expect(await reopenAbortedRun(env.DB, { runId: ended, resumes: 1, at: 3_000 })).toBe(false);
  });
});
