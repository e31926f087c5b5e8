/**
 * The example job end to end, offline, as `npm start` runs it: the replay
 * agent writes round 1 (a counter that answers `{visits}`), the unmodified
 * wrangler deploys it from inside the run's Sandbox into a temporary account
 * of the local emulator, the probe "counter counts" fails, the fix round
 * repairs it from the verification report, the redeploy passes, and the run
 * waits at the claim gate. Then a human claims the account and approves.
 * Local mode: the emulator's own terms are signed off automatically.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EXAMPLE_LOOP_STEPS,
  api,
  eventsOf,
  provisioned,
  runOf,
  settled,
  startRun,
  startTestStack,
  type TestStack,
} from "./stack-support.ts";

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack("example-loop");
});

afterAll(async () => {
  await stack?.dispose();
});

describe("the example job, offline", () => {
  let id: string;

  it("fixes round 1's bug from the report and waits at the claim gate", async () => {
    id = await startRun(stack, "hello-kv");
    const { run, gates } = await settled(stack, id);
    expect(run).toMatchObject({ status: "waiting", state: "awaitingClaim" });
    expect(gates).toEqual([expect.objectContaining({ kind: "claim", seq: 1, status: "pending" })]);

    const events = await eventsOf(stack, id);
    const steps = events.filter((e) => e.step).map((e) => `${e.step} ${e.type}`);
    expect(steps.slice(0, 8)).toEqual(EXAMPLE_LOOP_STEPS);

    // The report the fix round read says which probe failed and why.
    const failed = events.find((e) => e.type === "verify.failed")!;
    const report = await api<{ body: string }>(
      stack,
      `/api/runs/${id}/artifacts/${encodeURIComponent(String(failed.data.reportRef))}`,
    );
    const checks = (
      JSON.parse(report.body.body) as { checks: Array<{ name: string; passed: boolean; actual: string }> }
    ).checks;
    expect(checks.find((c) => c.name === "counter counts")).toMatchObject({ passed: false, actual: /count/ });

    // Both deploys went to the same temporary account; the live Worker now counts.
    expect(provisioned(stack)).toHaveLength(1);
    const deploys = events.filter((e) => e.type === "deploy.done");
    expect(new Set(deploys.map((e) => (e.data.account as { id: string }).id)).size).toBe(1);
    const counted = await fetch(stack.emulator.localUrl(`${run.deploymentUrl}/count`));
    expect(await counted.json()).toEqual({ count: expect.any(Number) });

    // The replay agent's change is recorded like any agent's: the run's whole change, and each round's.
    const diff = (
      await api<{ net: { diff: string } | null; rounds: { ref: string; diff: string }[] }>(
        stack,
        `/api/runs/${id}/diff`,
      )
    ).body;
    expect(diff.net?.diff).toContain("+++ b/src/index.ts");
    expect(diff.net?.diff).toContain("+      return Response.json({ count: visits });");
    expect(diff.net?.diff).not.toContain("Response.json({ visits })");
    expect(diff.rounds.map((r) => r.ref)).toEqual([`${id}:write#1:round-diff`, `${id}:fix#1:round-diff`]);
    expect(diff.rounds[1]?.diff).toContain("-      return Response.json({ visits });");

    // The replayed agent is labelled as a replay in the timeline.
    const writes = events.filter((e) => e.type === "write.done");
    expect(writes).toHaveLength(2);
    for (const w of writes)
      expect(w.data).toMatchObject({ replay: true, summary: expect.stringMatching(/^\[replay of /) });
  });

  it("records the automatic sign-off as such, for the emulator's API base only", async () => {
    const { body } = await api<{
      signoffs: Array<{ api_base: string; automatic: boolean; signed_by: string }>;
    }>(stack, "/api/signoffs");
    expect(body.signoffs).toEqual([
      expect.objectContaining({ api_base: stack.emulator.apiBaseUrl, automatic: true }),
    ]);
    const event = (await eventsOf(stack, id)).find((e) => e.type === "tos.signed_off_automatically");
    expect(event?.data).toMatchObject({
      automatic: true,
      termsUrl: `${stack.emulator.url}/__emulator/terms`,
    });
    expect((await fetch(`${stack.emulator.url}/__emulator/terms`)).status).toBe(200);
  });

  it("succeeds once the human claimed the account and approved the claim gate", async () => {
    const { run } = await runOf(stack, id);
    const claimed = await fetch(run.account!.claimUrl, { method: "POST" });
    expect(claimed.status).toBe(200);
    const approved = await api(stack, `/api/runs/${id}/gates/claim/approve`, {
      json: { reason: "claimed it" },
    });
    expect(approved.status).toBe(200);
    const done = await settled(stack, id);
    expect(done.run).toMatchObject({ status: "final", state: "succeeded" });
    const check = await api<{ body: string }>(
      stack,
      `/api/runs/${id}/artifacts/${encodeURIComponent(`${id}:promote#1:claim`)}`,
    );
    expect(JSON.parse(check.body.body)).toMatchObject({ claimPage: { status: "claimed" }, decision: "done" });
  });
});
