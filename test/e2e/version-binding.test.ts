/**
 * Issue 15, end to end on the real local stack: code outside the run (standing in for
 * another run's Sandbox that read this run's temporary-account token) redeploys the
 * verified preview after verification, with the account's token, straight against the
 * emulator. Before: the claim gate still showed the passing report and the approval
 * shipped the changed code (`succeeded`). Now the approval is void: promotion reads the
 * live version, finds one the run never verified, deploys the verified snapshot again,
 * verifies it and opens a new claim gate that says why. A claim made through the claim
 * URL while that gate is pending is recorded in the audit log and shown on the gate.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  eventsOf,
  runOf,
  settled,
  startRun,
  startTestStack,
  type TestStack,
  until,
} from "./stack-support.ts";

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack("version-binding");
});

afterAll(async () => {
  await stack?.dispose();
});

const ATTACKER_CODE = `export default {
  async fetch() {
    return Response.json({ count: 1, changedBehindTheRun: true });
  },
};
`;

/** The token the attack read from the run's wrangler config: here, from the emulator's own state. */
async function tokenOf(accountId: string): Promise<string> {
  const state = JSON.parse(await readFile(join(stack.emulator.stateDir, "state.json"), "utf8")) as {
    accounts: Record<string, { apiToken: string }>;
  };
  const token = state.accounts[accountId]?.apiToken;
  if (!token) throw new Error(`the emulator has no account ${accountId}`);
  return token;
}

/** Uploads and deploys other code as the run's Worker, with the temporary account's token. */
async function redeployBehindTheRun(accountId: string, worker: string): Promise<void> {
  const form = new FormData();
  form.set(
    "metadata",
    JSON.stringify({ main_module: "index.js", bindings: [], compatibility_date: "2026-08-22" }),
  );
  form.set("index.js", new Blob([ATTACKER_CODE], { type: "application/javascript+module" }), "index.js");
  const response = await fetch(
    `${stack.emulator.apiBaseUrl}/accounts/${accountId}/workers/scripts/${worker}`,
    {
      method: "PUT",
      headers: { authorization: `Bearer ${await tokenOf(accountId)}` },
      body: form,
    },
  );
  expect(response.status).toBe(200);
}

describe("an approval binds to the deployed version", () => {
  let id: string;
  let previewUrl: string;

  it("voids the claim approval when the preview was redeployed after verification", async () => {
    id = await startRun(stack, "hello-kv");
    const first = await settled(stack, id);
    expect(first.run.state, JSON.stringify(first.run.outcome)).toBe("awaitingClaim");
    const account = first.run.account!;
    previewUrl = first.run.deploymentUrl!;
    const worker = new URL(previewUrl).hostname.split(".")[0]!;

    await redeployBehindTheRun(account.id, worker);
    const changed = await fetch(stack.emulator.localUrl(`${previewUrl}/count`));
    expect(await changed.json()).toMatchObject({ changedBehindTheRun: true });

    const approved = await api(stack, `/api/runs/${id}/gates/claim/approve`, {
      json: { reason: "report passes" },
    });
    expect(approved.status).toBe(200);

    const second = await until("the reopened claim gate", async () => {
      const view = await runOf(stack, id);
      return view.gates.some((g) => g.kind === "claim" && g.seq === 2 && g.status === "pending")
        ? view
        : undefined;
    });
    expect(second.run.state).toBe("awaitingClaim");
    const events = await eventsOf(stack, id);
    const failed = events.find((e) => e.type === "promote.failed");
    expect(failed?.data).toMatchObject({ error: { code: "version_changed" } });
    // The verified snapshot went out again into the same account, and was verified again.
    expect(events.filter((e) => e.type === "deploy.done").at(-1)?.step).toBe("deploy#3");
    expect(second.run.account!.id).toBe(account.id);
    const restored = await fetch(stack.emulator.localUrl(`${previewUrl}/count`));
    const body = (await restored.json()) as Record<string, unknown>;
    expect(body).toEqual({ count: expect.any(Number) });

    const gate = (
      await api<{ gates: Array<{ ref: string; shown: { reopened?: { code: string; reason: string } } }> }>(
        stack,
        `/api/runs/${id}`,
      )
    ).body.gates.find((g) => g.ref === "claim-2");
    expect(gate?.shown.reopened).toMatchObject({
      code: "version_changed",
      reason: expect.stringMatching(/is void/),
    });
  });

  it("records a claim made while the reopened gate is pending, and ends with the verified code", async () => {
    const { run } = await runOf(stack, id);
    const claimed = await fetch(run.account!.claimUrl, { method: "POST" });
    expect(claimed.status).toBe(200);
    const approved = await api(stack, `/api/runs/${id}/gates/claim-2/approve`, { json: { reason: "ok" } });
    expect(approved.status).toBe(200);
    const done = await settled(stack, id);
    expect(done.run).toMatchObject({ status: "final", state: "succeeded" });

    const early = (await eventsOf(stack, id)).filter((e) => e.type === "claim.before_approval");
    expect(early).toHaveLength(1);
    expect(early[0]!.data).toMatchObject({ gateId: `${id}:claim:2`, claimedAt: expect.any(Number) });
    const gates = (
      await api<{ gates: Array<{ ref: string; claimedBeforeApprovalAt: number | null }> }>(
        stack,
        `/api/runs/${id}`,
      )
    ).body.gates;
    expect(gates.find((g) => g.ref === "claim-2")?.claimedBeforeApprovalAt).toEqual(expect.any(Number));
    expect(gates.find((g) => g.ref === "claim-1")?.claimedBeforeApprovalAt).toBeNull();
    // What was claimed serves the verified code, not the code deployed behind the run.
    const served = await fetch(stack.emulator.localUrl(`${previewUrl}/count`));
    expect(await served.json()).toEqual({ count: expect.any(Number) });
  });
});
