/**
 * The crash harness, part 1: the orchestrator's workerd (wrangler dev) is killed with SIGKILL
 * in every kind of step — prepare, write, deploy, verify, each gate's open, wait and settle,
 * promote, DNS apply — and started again on the same state. Three runs (A, B, C) are held at
 * different points when each kill comes, so five kills reach all twelve kinds of step. Every
 * run must end as a reference run of the same job ends (run first, never killed, on the same
 * stack), with nothing created twice, no decision lost and the audit log whole.
 *
 * Each run is held at a chosen point (test/e2e/crash/harness.ts): the setup command seen
 * running in the Sandbox, the model call held, an emulator request made and left hanging,
 * the gate's notification held, a run at rest at its gate. One point is not held: the dns
 * gate's settle, for which the kill comes as soon as the decision is recorded.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import {
  approve,
  atGate,
  claim,
  diagnose,
  drive,
  fault,
  final,
  type Harness,
  killAndRestart,
  recorded,
  reportKills,
  requestSeen,
  SETUP_RUNNING,
  sandboxProcess,
  startHarness,
  startRun,
} from "./crash/harness.ts";
import { type CrashJob, workerOf } from "./crash/jobs.ts";
import { expectNothingTwice, expectSameAsReference } from "./crash/verdict.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness("crash-orchestrator");
}, 180_000);

afterAll(async () => {
  if (h) reportKills(h, "crash-orchestrator");
  await h?.close();
});

const kill = (points: string[], whileDown?: () => Promise<void>) =>
  killAndRestart(
    h,
    "orchestrator",
    points.map((p) => `orchestrator during ${p}`),
    whileDown,
  );

const A: CrashJob = "crash-o-a";
const B: CrashJob = "crash-o-b";
const C: CrashJob = "crash-o-c";
const REF: CrashJob = "crash-ref-o";

describe("killing the orchestrator in every kind of step", () => {
  it("ends runs killed at each kind of step as the reference run ended", async () => {
    onTestFailed(() => console.log(diagnose(h)));
    const hang = (method: string, pathRegex: string) => fault(h, { method, pathRegex, action: "hang" });
    const hangSeen = (path: RegExp, since: number) =>
      requestSeen(h, (r) => r.fault === "hang" && path.test(r.path), since);
    const orgDeployments = (job: CrashJob) =>
      `/accounts/${h.org.id}/workers/scripts/${workerOf(job)}/deployments$`;
    const records = `/zones/${h.zoneId}/dns_records$`;

    // Never killed, side by side: the reference to its end, B to its claim gate (claimed),
    // C through its claim to its dns gate.
    const [ref, b, c] = await Promise.all([
      drive(h, REF),
      (async () => {
        const id = await startRun(h, B);
        await atGate(h, id, "claim#1");
        await claim(h, id);
        return id;
      })(),
      (async () => {
        const id = await startRun(h, C);
        await atGate(h, id, "claim#1");
        await claim(h, id);
        await approve(h, id, "claim");
        await atGate(h, id, "dns#1");
        return id;
      })(),
    ]);

    // Kill 1: A's prepare runs its setup command; B and C rest at their gates.
    const a = await startRun(h, A);
    let writing = h.modelHolds.arm((m) => m.job === A && m.round === "write" && !m.afterTools);
    await sandboxProcess(SETUP_RUNNING);
    await kill(["prepare", "gate wait (claim)", "gate wait (dns)"]);

    // Kill 2: A's model call is held; B's settle looks at the claim page, which hangs; C's
    // decision is recorded the moment before.
    await writing.reached;
    let mark = h.stack.emulator.requestLog.lastSeq;
    await fault(h, { method: "GET", pathPrefix: "/claim/", action: "hang" });
    await approve(h, b, "claim");
    await hangSeen(/^\/claim\//, mark);
    await hang("POST", records);
    mark = h.stack.emulator.requestLog.lastSeq;
    await approve(h, c, "dns");
    await kill(["write", "gate settle (claim)", "gate settle (dns)"], async () => {
      // Held again when A's write runs again; B's promotion will hang on the live version.
      writing.release();
      writing = h.modelHolds.arm((m) => m.job === A && m.round === "write" && !m.afterTools);
      await hang("GET", orgDeployments(B));
    });

    // Kill 3: B's promotion and C's record create hang; A's wrangler, let go, is deploying.
    await hangSeen(new RegExp(orgDeployments(B)), mark);
    await hangSeen(new RegExp(records), mark);
    await writing.reached;
    mark = h.stack.emulator.requestLog.lastSeq;
    writing.release();
    await requestSeen(
      h,
      (r) => r.method === "GET" && r.path.endsWith(`/workers/services/${workerOf(A)}`),
      mark,
    );
    const openingDns = h.notices.holds.arm((d) => d.runId === b && d.gate === "dns#1");
    await kill(["deploy", "promote", "DNS apply"]);

    // Kill 4: A's verify reads the live version, which hangs; B's dns gate notification is held.
    await recorded(h, a, "deploy#1", "deploy.done");
    mark = h.stack.emulator.requestLog.lastSeq;
    await hang("GET", `/workers/scripts/${workerOf(A)}/deployments$`);
    await hangSeen(new RegExp(`/workers/scripts/${workerOf(A)}/deployments$`), mark);
    await openingDns.reached;
    const openingClaim = h.notices.holds.arm((d) => d.runId === a && d.gate === "claim#1");
    await kill(["verify", "gate open (dns)"], async () => openingDns.release());

    // Kill 5: A, fixed and verified, opens its claim gate; its notification is held.
    await openingClaim.reached;
    await kill(["gate open (claim)"], async () => openingClaim.release());

    // The humans finish what is left.
    await atGate(h, a, "claim#1");
    await claim(h, a);
    await approve(h, a, "claim");
    await atGate(h, a, "dns#1");
    await approve(h, a, "dns");
    await atGate(h, b, "dns#1");
    await approve(h, b, "dns");
    for (const id of [a, b, c]) expect((await final(h, id)).state).toBe("succeeded");

    for (const [id, job] of [
      [a, A],
      [b, B],
      [c, C],
    ] as const)
      await expectSameAsReference(h, { id: ref, job: REF }, { id, job });
    await expectNothingTwice(h, [ref, a, b, c]);
    expect(h.processKills.get("the orchestrator")).toBe(5);
    expect([...h.kills.keys()]).toHaveLength(12);
  }, 900_000);
});
