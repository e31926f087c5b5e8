/**
 * A broken invariant in a gate step is not retried (Workflows' NonRetryableError), while a
 * gate still pending when its run was woken is: the retry waits again.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/schema.ts";
import { settleRunGate } from "../../src/gates/settle.ts";
import { openGate } from "../../src/store/gates.ts";

const notifier = { notify: async () => {} };
function gateEnv(runId: string, now: number) {
  return {
    db: env.DB,
    runId,
    job: {} as Job,
    ports: { notifier, clock: { now: () => now }, apiBase: "http://127.0.0.1:1/client/v4" },
  };
}
const claim1 = { kind: "gate:claim" as const, seq: 1 };

describe("settling a gate", () => {
  it("fails at once, not retried, when the gate row is missing", async () => {
    const error = await settleRunGate(gateEnv("settle-missing", 1_000), claim1, { timedOut: true }).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("NonRetryableError");
    expect((error as Error).message).toContain("settle-missing:claim:1 is missing");
  });

  it("throws a retryable error while the gate is still pending before its deadline", async () => {
    const runId = "settle-pending";
    await openGate(env.DB, {
      id: `${runId}:claim:1`,
      runId,
      kind: "claim",
      seq: 1,
      eventType: "gate-claim-1",
      approvers: ["approver"],
      shown: {},
      shownHash: "h",
      openedAt: 1_000,
      deadlineAt: 10_000,
      requiredApprovals: 1,
    });
    const error = await settleRunGate(gateEnv(runId, 2_000), claim1, { timedOut: false }).catch(
      (e: unknown) => e as Error,
    );
    expect((error as Error).name).toBe("Error");
    expect((error as Error).message).toContain("still pending");
  });
});
