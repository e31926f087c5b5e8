/**
 * Failures readable over the API: `verify.failed` says which checks failed in its
 * own data, and each step's kept output is one request away
 * (`/api/runs/:id/steps/:step/log`), its Sandbox paths relative to the job's project.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, decide, inState, signOff, startRun, uniqueId, waitForRun } from "../run/harness.ts";

beforeAll(signOff);

interface Part {
  ref: string;
  kind: string;
  title: string;
  text: string;
}
const stepLog = async (id: string, step: string) => {
  const response = await api(`/api/runs/${id}/steps/${encodeURIComponent(step)}/log`);
  return { status: response.status, body: (await response.json()) as { parts: Part[]; error?: unknown } };
};

describe("failures over the API", () => {
  it("carries the failing checks in verify.failed and serves each step's log", async () => {
    const id = uniqueId("failing");
    await using instance = await startRun("loop", id, { buggyRounds: 1 });
    await waitForRun(id, inState("awaitingClaim"));
    const { events } = (await (await api(`/api/runs/${id}/events`)).json()) as {
      events: { type: string; step: string; data: Record<string, unknown> }[];
    };
    const failed = events.find((e) => e.type === "verify.failed");
    expect(failed?.data.failing).toBe(
      "1 of 1 check failed: no bug: expected no BUG file, got bug from round 1",
    );
    expect(failed?.step).toBe("verify#1");

    const verify = await stepLog(id, "verify#1");
    expect(verify.status).toBe(200);
    expect(verify.body.parts).toHaveLength(1);
    expect(verify.body.parts[0]).toMatchObject({ kind: "verify-report", title: "the verify report" });
    expect(verify.body.parts[0]?.text.split("\n")).toEqual([
      expect.stringMatching(/^failed: https:\/\/loop-test\..*\.workers\.dev$/),
      "FAIL  probe no bug",
      "      expected no BUG file",
      "      got      bug from round 1",
    ]);

    // The setup log names the source as the project knows it, not the Sandbox's /sources or /workspace.
    const prepare = await stepLog(id, "prepare#1");
    expect(prepare.body.parts.map((p) => p.kind)).toEqual(["setup-log"]);
    expect(prepare.body.parts[0]?.text).toContain(
      "$ cp -a workflows/hello-kv/project/. workflows/hello-kv/project/",
    );
    expect(prepare.body.parts[0]?.text).not.toMatch(/\/sources\/|\/workspace/);

    const missing = await stepLog(id, "deploy#9");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({
      code: "not_found",
      path: "step",
      message: expect.stringContaining("its steps: prepare#1, write#1"),
    });
    expect((await api(`/api/runs/nope/steps/verify%231/log`)).status).toBe(404);
    await decide(id, "claim", "reject", { reason: "done" });
    await instance.waitForStatus("complete");
  });
});
