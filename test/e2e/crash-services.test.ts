/**
 * The crash harness, part 2: the stack's other services are killed under one run and started
 * again on their own state while the orchestrator keeps running — the egress proxy during a
 * model call, the Sandbox host during a write, the Cloudflare API emulator during a deploy and
 * during a DNS change. The run must end as the reference run of the same job ended, with no
 * temporary account, deployment, DNS record or notification made twice.
 *
 * Chosen points (test/e2e/crash/harness.ts): a model call held in flight (through the proxy,
 * or after the agent's edits reached the Sandbox), an emulator request made and its answer
 * left hanging (the account provisioned, the record created) when the emulator dies.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import {
  approve,
  claim,
  diagnose,
  drive,
  fault,
  final,
  type Harness,
  inState,
  killAndRestart,
  reportKills,
  requestSeen,
  startHarness,
  startRun,
} from "./crash/harness.ts";
import { expectNothingTwice, expectSameAsReference } from "./crash/verdict.ts";

let h: Harness;
let reference: string;

beforeAll(async () => {
  h = await startHarness("crash-services");
}, 180_000);

afterAll(async () => {
  if (h) reportKills(h, "crash-services");
  await h?.close();
});

describe("killing the Sandbox host, the emulator and the egress proxy under a run", () => {
  it("runs the reference: the same job, never killed", async () => {
    reference = await drive(h, "crash-ref-s");
  }, 300_000);

  it("ends the run as the reference ended", async () => {
    onTestFailed(() => console.log(diagnose(h)));
    const job = "crash-run-s";
    // The emulator dies while provisioning the run's temporary account: the account is made,
    // wrangler never hears of it.
    let mark = h.stack.emulator.requestLog.lastSeq;
    await fault(h, { method: "POST", pathRegex: "/provisioning/previews$", action: "hang" });

    const id = await startRun(h, job);

    // The egress proxy dies while the agent's first model call is in flight through it.
    const calling = h.modelHolds.arm((c) => c.round === "write" && !c.afterTools);
    await calling.reached;
    await killAndRestart(h, "egressProxy", ["egress proxy during a model call"]);
    calling.release();

    // The Sandbox host dies during the write: the agent's edits are in the Sandbox, its
    // summary call is held, nothing is snapshotted yet.
    const summing = h.modelHolds.arm((c) => c.round === "write" && c.afterTools);
    await summing.reached;
    await killAndRestart(h, "sandboxHost", ["Sandbox host during a write"]);
    summing.release();

    await requestSeen(h, (r) => r.fault === "hang" && r.path.endsWith("/provisioning/previews"), mark);
    await killAndRestart(h, "emulator", ["emulator during a deploy"]);

    await inState(h, id, "awaitingClaim");
    await claim(h, id);
    await approve(h, id, "claim");
    await inState(h, id, "awaitingDns");

    // The emulator dies while the DNS record is created: the record is made, the answer lost.
    mark = h.stack.emulator.requestLog.lastSeq;
    await fault(h, { method: "POST", pathRegex: `/zones/${h.zoneId}/dns_records$`, action: "hang" });
    await approve(h, id, "dns");
    await requestSeen(h, (r) => r.fault === "hang" && r.path.endsWith("/dns_records"), mark);
    await killAndRestart(h, "emulator", ["emulator during a DNS change"]);

    const run = await final(h, id);
    expect(run.state).toBe("succeeded");
    await expectSameAsReference(h, { id: reference, job: "crash-ref-s" }, { id, job });
    await expectNothingTwice(h, [reference, id]);
    expect([...h.kills.keys()]).toHaveLength(4);
  }, 600_000);
});
