/**
 * Terms of service outside local mode: the orchestrator runs as in
 * production (NIGHTSHIFT_MODE is not "local"), so no sign-off is recorded for
 * it. The run prepares and writes, then waits at the `tos` gate before its
 * first temporary deploy, and the emulator never sees a provisioning request:
 * wrangler --temporary would have accepted Cloudflare's terms on the user's
 * behalf. A legal approval of the gate is the sign-off the deployer accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  eventsOf,
  provisioned,
  settled,
  startRun,
  startTestStack,
  type TestStack,
} from "./stack-support.ts";

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack("tos-gate", { mode: "production" });
});

afterAll(async () => {
  await stack?.dispose();
});

describe("no legal sign-off on record", () => {
  let id: string;

  it("waits at the tos gate and creates no temporary account", async () => {
    id = await startRun(stack, "hello-kv");
    const { run, gates } = await settled(stack, id);
    expect(run).toMatchObject({ status: "waiting", state: "awaitingTos", account: null });
    expect(gates).toEqual([expect.objectContaining({ kind: "tos", status: "pending" })]);
    expect(provisioned(stack)).toEqual([]);
    expect(stack.emulator.requestLog.list({ kind: "api" })).toEqual([]);
    const { body } = await api<{ signoffs: unknown[] }>(stack, "/api/signoffs");
    expect(body.signoffs).toEqual([]);
    expect((await eventsOf(stack, id)).map((e) => e.type)).not.toContain("tos.signed_off_automatically");
  });

  it("deploys once a person with the legal role approves the gate", async () => {
    const approved = await api(stack, `/api/runs/${id}/gates/tos/approve`, {
      json: { by: "legal-1", reason: "terms reviewed" },
    });
    expect(approved.status).toBe(200);
    const { run } = await settled(stack, id);
    expect(run).toMatchObject({ status: "waiting", state: "awaitingClaim" });
    expect(provisioned(stack)).toHaveLength(1);
    const deploy = (await eventsOf(stack, id)).find((e) => e.type === "deploy.done");
    expect(deploy?.step).toBe("deploy#1");
  });
});
