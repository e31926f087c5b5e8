/**
 * Cron schedules through the Worker's real `scheduled` handler and the
 * shared `onScheduled`: a tick starts each due job once (however often it is
 * delivered), the concurrency policies hold, a job that keeps failing pauses
 * itself and says so, and the API can pause, resume and fire a schedule.
 * Ticks use times in 2031 so they never meet another test's runs.
 */
import { introspectWorkflow } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { onScheduled } from "../../src/control/scheduled.ts";
import { listJobEvents } from "../../src/store/job-events.ts";
import { listRuns } from "../../src/store/runs.ts";
import { scheduleRunId } from "../../src/triggers/run-ids.ts";
import { fakePorts } from "../support/fakes/ports.ts";
import { fakeCalls } from "../support/fakes/world.ts";
import { registry } from "../support/test-worker.ts";
import { api, inState, rejectAtClaim, signOff, waitForRun, watchRun } from "../run/harness.ts";

beforeAll(signOff);

const at = (iso: string) => Date.parse(iso);
const tick = (iso: string) =>
  onScheduled(env, { registry, scheduledTime: at(iso), notifier: fakePorts(env.DB).notifier });

async function expectRun(job: string, iso: string) {
  const id = await scheduleRunId(job, at(iso));
  return { id, instance: await watchRun(id) };
}

const finish = rejectAtClaim;

const runsOf = async (job: string) => listRuns(env.DB, { job, limit: 500 });

describe("scheduled", () => {
  it("starts one run for a cron tick delivered twice, named by job and minute", async () => {
    const { id, instance } = await expectRun("nightly", "2031-03-04T03:00:00Z");
    await using _ = instance;
    // Through the Worker's own handler, as Cloudflare (or `npm start`) delivers a tick.
    const worker = exports.default as unknown as {
      scheduled(options: { scheduledTime: number; cron: string }): Promise<unknown>;
    };
    for (let i = 0; i < 2; i++) {
      await worker.scheduled({ scheduledTime: at("2031-03-04T03:00:07Z"), cron: "* * * * *" });
    }
    expect(id).toBe("nightly-203103040300");
    await waitForRun(id, inState("awaitingClaim"));
    const runs = (await runsOf("nightly")).filter((r) => r.id.startsWith("nightly-20310304"));
    expect(runs.map((r) => [r.id, r.trigger])).toEqual([[id, "schedule"]]);
    expect(runs[0]?.input_json).toEqual({ nightly: true });
    await finish(id, instance);
  });

  it("starts one run when two crons of a job match one minute and two ticks run at once", async () => {
    const { id, instance } = await expectRun("nightly", "2031-03-10T03:00:00Z"); // a Monday: both crons match
    await using _ = instance;
    const reports = await Promise.all([tick("2031-03-10T03:00:00Z"), tick("2031-03-10T03:00:01Z")]);
    const outcomes = reports.flatMap((r) =>
      r.schedules.filter((s) => s.job === "nightly").map((s) => s.outcome),
    );
    expect(outcomes.filter((o) => o === "started")).toHaveLength(1);
    expect((await runsOf("nightly")).filter((r) => r.id.startsWith("nightly-20310310"))).toHaveLength(1);
    await finish(id, instance);
  });

  it("skips a tick while a run of a `skip` job is still active, leaving one active run", async () => {
    const { id, instance } = await expectRun("nightly", "2031-03-05T03:00:00Z");
    await using _ = instance;
    await tick("2031-03-05T03:00:00Z");
    await waitForRun(id, inState("awaitingClaim"));
    const next = await tick("2031-03-06T03:00:00Z");
    expect(next.schedules).toEqual([
      expect.objectContaining({
        job: "nightly",
        outcome: "skipped",
        reason: "active",
        runId: "nightly-203103060300",
      }),
    ]);
    expect((await runsOf("nightly")).filter((r) => r.status !== "final").map((r) => r.id)).toEqual([id]);
    const skipped = (await listJobEvents(env.DB, "nightly")).filter((e) => e.type === "trigger.skipped");
    expect(skipped.at(-1)).toMatchObject({ run_id: "nightly-203103060300", actor: "scheduler" });
    await finish(id, instance);
  });

  it("queues a tick of a `queue` job and starts it once the active run has ended", async () => {
    const first = await expectRun("nightly-queue", "2031-03-05T03:30:00Z");
    const second = await expectRun("nightly-queue", "2031-03-06T03:30:00Z");
    await using _a = first.instance;
    await using _b = second.instance;
    await tick("2031-03-05T03:30:00Z");
    await waitForRun(first.id, inState("awaitingClaim"));
    expect((await tick("2031-03-06T03:30:00Z")).schedules[0]).toMatchObject({
      outcome: "queued",
      runId: second.id,
    });
    const queue = (await (await api("/api/jobs/nightly-queue/queue")).json()) as {
      queue: Array<{ runId: string }>;
    };
    expect(queue.queue.map((q) => q.runId)).toEqual([second.id]);
    expect((await tick("2031-03-06T04:17:00Z")).dequeued).toEqual([]);

    await finish(first.id, first.instance);
    const report = await tick("2031-03-06T04:27:00Z");
    expect(report.dequeued).toEqual([{ outcome: "started", runId: second.id }]);
    expect((await (await api("/api/jobs/nightly-queue/queue")).json()) as unknown).toEqual({ queue: [] });
    await finish(second.id, second.instance);
  });

  it("pauses a job whose last runs failed, notifies once, and starts again after a resume", async () => {
    // Ended just now, before the resume below (which only counts failures after it).
    const failedAt = Date.now() - 10_000;
    for (const n of [1, 2]) {
      await env.DB.prepare(
        `INSERT INTO runs (id, job, trigger, status, state, input_json, created_at, updated_at)
         VALUES (?1, 'nightly-flaky', 'schedule', 'final', 'failed', '{}', ?2, ?2)`,
      )
        .bind(`nightly-flaky-failed-${n}`, failedAt + n * 1_000)
        .run();
    }
    const report = await tick("2031-03-07T05:00:00Z");
    expect(report.paused).toContain("nightly-flaky");
    expect(report.schedules).toEqual([
      expect.objectContaining({ job: "nightly-flaky", outcome: "skipped", reason: "paused" }),
    ]);
    await tick("2031-03-07T05:01:00Z");
    expect((await fakeCalls(env.DB, "nightly-flaky-failed-2")).map((c) => c.kind)).toEqual([
      "notify:job.paused",
    ]);
    const paused = (await listJobEvents(env.DB, "nightly-flaky")).filter((e) => e.type === "job.paused");
    expect(paused).toEqual([
      expect.objectContaining({ actor: "nightshift", run_id: "nightly-flaky-failed-2" }),
    ]);
    const jobs = (await (await api("/api/jobs")).json()) as {
      jobs: Array<{ name: string; paused: boolean; pausedBy: string }>;
    };
    expect(jobs.jobs.find((j) => j.name === "nightly-flaky")).toMatchObject({
      paused: true,
      pausedBy: "nightshift",
    });

    const resumed = await api("/api/jobs/nightly-flaky/resume", { method: "POST", json: {} });
    expect(await resumed.json()).toMatchObject({ changed: true, paused: false });
    const { id, instance } = await expectRun("nightly-flaky", "2031-03-08T05:00:00Z");
    await using _ = instance;
    expect((await tick("2031-03-08T05:00:00Z")).schedules[0]).toMatchObject({
      outcome: "started",
      runId: id,
    });
    await finish(id, instance);
  });
});

describe("POST /api/jobs/:name/schedule/fire", () => {
  it("starts the job's scheduled run for the current minute, once", async () => {
    await using introspector = await introspectWorkflow(env.RUN_WORKFLOW);
    await introspector.modifyAll(async (m) => {
      await m.disableRetryDelays();
    });
    const response = await api("/api/jobs/nightly/schedule/fire", { method: "POST" });
    expect(response.status).toBe(201);
    const fired = (await response.json()) as { outcome: string; runId: string; run: { trigger: string } };
    expect(fired).toMatchObject({ outcome: "started", run: { trigger: "schedule" } });
    expect(fired.runId).toMatch(/^nightly-\d{12}$/);
    const again = (await (await api("/api/jobs/nightly/schedule/fire", { method: "POST" })).json()) as {
      outcome: string;
    };
    // "existing" in the same minute; across a minute boundary the `skip` policy holds it back.
    expect(["existing", "skipped"]).toContain(again.outcome);
    const [instance] = await introspector.get();
    await finish(fired.runId, instance!);
  });

  it("answers 409 for a job without a schedule and 404 for an unknown job", async () => {
    const none = await api("/api/jobs/loop/schedule/fire", { method: "POST" });
    expect(none.status).toBe(409);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("no_schedule");
    expect((await api("/api/jobs/nope/schedule/fire", { method: "POST" })).status).toBe(404);
  });
});
