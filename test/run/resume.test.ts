/**
 * Resuming a run that failed on infrastructure, for real in workerd: a Sandbox host outage
 * outlasts a step's retries and fails the run; `POST /api/runs/:id/resume` starts a new
 * Workflow instance from the run's last completed step, and the run ends as an uninterrupted
 * one does — each effect performed once, no gate asked twice, the budgets where they were.
 * Runs the loop itself ended, and running runs, are refused with 409 and why.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { stepPolicy } from "../../src/run/step-policy.ts";
import { listEvents } from "../../src/store/events.ts";
import { listGates } from "../../src/store/gates.ts";
import type { RunRow } from "../../src/store/rows.ts";
import { fakeCalls } from "../support/fakes/world.ts";
import {
  api,
  decide,
  inState,
  rejectAtClaim,
  signOff,
  startRun,
  uniqueId,
  waitForRun,
  watchRun,
} from "./harness.ts";

beforeAll(signOff);

/** Every attempt of a step that holds for an outage: one more outage than this outlasts it. */
const ATTEMPTS = stepPolicy("deploy").retries.limit + 1;

const effectsOf = async (id: string) =>
  (await fakeCalls(env.DB, id)).map((c) => `${c.key.slice(id.length + 1)} ${c.kind}`);
const failedOnOutage = (run: RunRow) => run.status === "final" && run.state === "failed";

async function resume(id: string) {
  const response = await api(`/api/runs/${id}/resume`, { method: "POST", json: {} });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, read loosely by the assertions
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** Approves the claim and the dns gates as they come, and waits for the run's end. */
async function approveThrough(id: string): Promise<RunRow> {
  await waitForRun(id, inState("awaitingClaim"));
  expect((await decide(id, "claim", "approve")).status).toBe(200);
  return waitForRun(id, (r) => r.state === "awaitingDns" || r.state === "failed");
}

describe("resuming a run that failed on infrastructure", () => {
  it("resumes from the last good step, twice, and ends as the uninterrupted run does", async () => {
    const base = uniqueId("uninterrupted");
    const id = uniqueId("resumed");
    await using baseline = await startRun("loop-dns", base);
    // The outage during the first deploy and the one during the promotion outlast every retry.
    await using first = await startRun("loop-dns", id, {
      outages: { "deploy#1": ATTEMPTS, "promote#1": ATTEMPTS },
    });
    await using second = await watchRun(`${id}_R1`);
    await using third = await watchRun(`${id}_R2`);

    await approveThrough(base);
    await decide(base, "dns", "approve");
    await baseline.waitForStatus("complete");

    // 1. The deploy outage fails the run, on infrastructure: it says what was away, and that it can resume.
    await first.waitForStatus("complete");
    const failed = await waitForRun(id, failedOnOutage);
    expect(failed.outcome_json).toMatchObject({ code: "outage" });
    const aborted = (await listEvents(env.DB, id)).filter((e) => e.type === "run.aborted");
    expect(aborted).toHaveLength(1);
    expect(aborted[0]).toMatchObject({
      step: "abort",
      data_json: { on: "the Sandbox host", abortedIn: "deploying", resumable: true },
    });
    expect((await api(`/api/runs/${id}`).then((r) => r.json())) as object).toMatchObject({
      run: { resumable: true, resumes: 0 },
    });

    const resumed = await resume(id);
    expect(resumed.status).toBe(202);
    expect(resumed.body).toMatchObject({
      run: { id, status: "running", state: "deploying", resumes: 1, resumable: false, outcome: null },
      resumed: { from: "deploying", resumes: 1, instance: `${id}_R1` },
    });
    // Resuming again while it runs is refused, saying why.
    const again = await resume(id);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "conflict", reason: "not_failed", path: "id" });
    expect(again.body.error.message).toMatch(/is still (running|waiting)/);

    // 2. It deploys (the same step, the same key), passes the claim gate, and the promotion outage fails it again.
    await approveThrough(id);
    await second.waitForStatus("complete");
    const failedAgain = await waitForRun(id, failedOnOutage);
    expect(failedAgain.outcome_json).toMatchObject({ code: "outage" });
    expect((await listEvents(env.DB, id)).filter((e) => e.type === "run.aborted").map((e) => e.step)).toEqual(
      ["abort", "abort#2"],
    );
    expect((await resume(id)).body).toMatchObject({ resumed: { from: "promoting", instance: `${id}_R2` } });

    // 3. The claim approval holds: it promotes, asks only the dns gate, applies once and succeeds.
    await waitForRun(id, inState("awaitingDns"));
    expect((await decide(id, "dns", "approve")).status).toBe(200);
    await third.waitForStatus("complete");
    const done = await waitForRun(id, (r) => r.status === "final");
    const uninterrupted = await waitForRun(base, (r) => r.status === "final");
    expect(done.state).toBe("succeeded");
    expect(uninterrupted.state).toBe("succeeded");

    // Each effect once, as without the outages: the failed attempts never completed one.
    const notices = (calls: string[]) => calls.filter((c) => !c.includes("notify:"));
    expect(notices(await effectsOf(id))).toEqual(notices(await effectsOf(base)));
    expect((await effectsOf(id)).filter((c) => c.endsWith("notify:run.failed"))).toEqual([
      "abort notify:run.failed",
      "abort#2 notify:run.failed",
    ]);
    const gates = (run: string) =>
      listGates(env.DB, { runId: run }).then((g) => g.map((x) => [x.id.slice(run.length), x.status]));
    expect(await gates(id)).toEqual(await gates(base));
    // The budgets went on from where they were.
    const spent = (run: RunRow) => (run.context_json as { spent: Record<string, number> }).spent;
    expect({ ...spent(done), sandboxMs: 0 }).toEqual({ ...spent(uninterrupted), sandboxMs: 0 });

    // The timeline: the uninterrupted run's, plus the faults and who resumed it.
    const timeline = async (run: string) => (await listEvents(env.DB, run)).map((e) => e.type);
    const extra = new Set(["run.waiting", "run.aborted", "run.resumed"]);
    expect((await timeline(id)).filter((t) => !extra.has(t))).toEqual(await timeline(base));
    const resumes = (await listEvents(env.DB, id)).filter((e) => e.type === "run.resumed");
    expect(resumes.map((e) => [e.actor, e.from_state, e.to_state])).toEqual([
      ["admin", "failed", "deploying"],
      ["admin", "failed", "promoting"],
    ]);
    expect(resumes.map((e) => e.step)).toEqual(["resume#1", "resume#2"]);
    expect(resumes[0]?.data_json).toMatchObject({ instance: `${id}_R1`, failure: { code: "outage" } });
    // Recorded by the new instance before its first step.
    const types = await timeline(id);
    expect(types.indexOf("run.resumed")).toBeLessThan(types.indexOf("deploy.done"));
    expect(await resume(id)).toMatchObject({ status: 409, body: { error: { reason: "not_failed" } } });
  }, 30_000);

  it("refuses a run the loop failed itself, one it ended otherwise, an unknown one, and a viewer", async () => {
    const failedId = uniqueId("deploy-refused");
    const rejectedId = uniqueId("rejected");
    await using failed = await startRun("loop", failedId, {
      deployFailures: { "deploy#1": "upload_rejected" },
    });
    await using rejected = await startRun("loop", rejectedId);
    await failed.waitForStatus("complete");
    expect((await waitForRun(failedId, (r) => r.status === "final")).state).toBe("failed");
    const refused = await resume(failedId);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "conflict", reason: "not_resumable", path: "id" });
    expect(refused.body.error.message).toMatch(
      /failed by the loop's own decision .*upload_rejected.*not on infrastructure/,
    );

    await rejectAtClaim(rejectedId, rejected);
    expect(await resume(rejectedId)).toMatchObject({
      status: 409,
      body: { error: { reason: "not_failed", message: expect.stringMatching(/ended rejected/) } },
    });
    expect((await resume("no-such-run")).status).toBe(404);

    const minted = await api("/api/tokens", {
      method: "POST",
      json: { identity: "viv@example.com", roles: ["viewer"] },
    });
    const { token } = (await minted.json()) as { token: string };
    const denied = await api(`/api/runs/${failedId}/resume`, {
      method: "POST",
      json: {},
      headers: { authorization: `Bearer ${token}` },
    });
    expect(denied.status).toBe(403);
    // Nothing changed: still failed, never resumed, no event.
    const row = await waitForRun(failedId, (r) => r.status === "final");
    expect([row.state, row.resumes]).toEqual(["failed", 0]);
    expect((await listEvents(env.DB, failedId)).some((e) => e.type === "run.resumed")).toBe(false);
  });
});
