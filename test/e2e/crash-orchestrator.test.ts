/**
 * The crash harness, part 1: the orchestrator's workerd (wrangler dev) is killed with SIGKILL
 * in every kind of step one run passes — prepare, write, deploy, verify, each gate's open, wait
 * and settle, promote, DNS apply — and started again on the same state each time. The run
 * must end as a run that was never killed ends (a reference run of the same job, first, on
 * the same stack), with nothing created twice, no decision lost and the audit log whole.
 *
 * Each kill is at a chosen point, held there by the harness (test/e2e/crash/harness.ts):
 * the setup command seen running in the Sandbox, the model call held, the emulator's request
 * seen or left hanging, the notification held; a gate's wait is a run at rest.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import {
  approve,
  claim,
  diagnose,
  drive,
  eventsOf,
  fault,
  final,
  type Harness,
  inState,
  killAndRestart,
  recorded,
  reportKills,
  requestSeen,
  SETUP_RUNNING,
  sandboxProcess,
  startHarness,
  startRun,
} from "./crash/harness.ts";
import { workerOf } from "./crash/jobs.ts";
import { expectNothingTwice, expectSameAsReference } from "./crash/verdict.ts";

let h: Harness;
let reference: string;

beforeAll(async () => {
  h = await startHarness("crash-orchestrator");
}, 180_000);

afterAll(async () => {
  if (h) reportKills(h, "crash-orchestrator");
  await h?.close();
});

const kill = (kind: string) => killAndRestart(h, "orchestrator", `orchestrator during ${kind}`);

describe("killing the orchestrator in every kind of step", () => {
  it("runs the reference: the same job, never killed", async () => {
    reference = await drive(h, "crash-ref-o");
  }, 300_000);

  it("ends a run killed at each step as the reference ended", async () => {
    onTestFailed(() => console.log(diagnose(h)));
    const job = "crash-run-o";
    const worker = workerOf(job);
    const id = await startRun(h, job);

    // prepare: the job's setup command is running in the run's Sandbox.
    await sandboxProcess(SETUP_RUNNING);
    await kill("prepare");

    // write: the agent's first model call is held in flight.
    const writing = h.modelHolds.arm((c) => c.round === "write" && !c.afterTools);
    await writing.reached;
    await kill("write");
    writing.release();

    // deploy: wrangler, in the Sandbox, has provisioned and is asking about the Worker.
    await requestSeen(h, (r) => r.method === "GET" && r.path.endsWith(`/workers/services/${worker}`));
    await kill("deploy");

    // verify: its read of the live version is made and left hanging.
    await recorded(h, id, "deploy#1", "deploy.done");
    const since = h.stack.emulator.requestLog.lastSeq;
    await fault(h, { method: "GET", pathRegex: `/workers/scripts/${worker}/deployments$`, action: "hang" });
    await requestSeen(h, (r) => r.fault === "hang", since);
    await kill("verify");

    // The claim gate's open: its notification is held.
    const opening = h.notices.holds.arm((d) => d.runId === id && d.gate === "claim#1");
    await opening.reached;
    await kill("gate open (claim)");
    opening.release();

    // The claim gate's wait: the run at rest at the gate.
    await inState(h, id, "awaitingClaim");
    await kill("gate wait (claim)");
    await claim(h, id);

    // The claim gate's settle: its look at the claim page hangs. Promote: its read of the
    // organisation's live version hangs.
    let mark = h.stack.emulator.requestLog.lastSeq;
    await fault(h, { method: "GET", pathPrefix: "/claim/", action: "hang" });
    await fault(h, {
      method: "GET",
      pathRegex: `/accounts/${h.org.id}/workers/scripts/${worker}/deployments$`,
      action: "hang",
    });
    await approve(h, id, "claim");
    await requestSeen(h, (r) => r.fault === "hang" && r.path.startsWith("/claim/"), mark);
    await kill("gate settle (claim)");
    await requestSeen(h, (r) => r.fault === "hang" && r.path.includes(h.org.id), mark);
    await kill("promote");

    // The dns gate's open: its notification is held.
    const openingDns = h.notices.holds.arm((d) => d.runId === id && d.gate === "dns#1");
    await openingDns.reached;
    await kill("gate open (dns)");
    openingDns.release();

    // The dns gate's wait.
    await inState(h, id, "awaitingDns");
    await kill("gate wait (dns)");

    // The dns gate's settle: killed as soon as the decision is recorded, before the run has
    // settled the gate. Then DNS apply: the record create is made and its answer left hanging.
    mark = h.stack.emulator.requestLog.lastSeq;
    await fault(h, { method: "POST", pathRegex: `/zones/${h.zoneId}/dns_records$`, action: "hang" });
    await approve(h, id, "dns");
    const settledBefore = (await eventsOf(h, id)).some((e) => e.step === "gate:dns#1/settle");
    await kill(settledBefore ? "DNS apply (after the dns settle)" : "gate settle (dns)");
    await requestSeen(h, (r) => r.fault === "hang" && r.path.endsWith("/dns_records"), mark);
    await kill("DNS apply");

    const run = await final(h, id);
    expect(run.state).toBe("succeeded");
    await expectSameAsReference(h, { id: reference, job: "crash-ref-o" }, { id, job });
    await expectNothingTwice(h, [reference, id]);
    expect([...h.kills.values()].reduce((a, b) => a + b, 0)).toBe(12);
  }, 900_000);
});
