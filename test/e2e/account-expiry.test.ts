/**
 * The 60-minute window as a hard boundary, shortened: the emulator's
 * temporary accounts live 25 s here. The example run reaches its claim gate;
 * the account expires while it waits (the emulator deletes it and its
 * Workers); the approval that comes after the expiry leads to a redeploy of
 * the verified snapshot into a fresh temporary account, verified again, and a
 * second claim gate with a live claim URL — never to a dead link.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  provisioned,
  runOf,
  settled,
  startRun,
  startTestStack,
  type TestStack,
  until,
} from "./stack-support.ts";
import { adminFetch } from "../local/emulator/support.ts";

const LIFETIME_MS = 25_000;
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack("account-expiry", { accountLifetimeMs: LIFETIME_MS });
});

afterAll(async () => {
  await stack?.dispose();
});

describe("a temporary account that expires mid-run", () => {
  it("redeploys into a new account when the claim is approved after the expiry", async () => {
    const id = await startRun(stack, "hello-kv");
    const first = await settled(stack, id);
    expect(first.run.state).toBe("awaitingClaim");
    const account = first.run.account!;

    // Wait for the emulator to delete the account (its Workers answer 404 from then on).
    await until(
      "the temporary account to expire",
      async () => {
        const accounts = (await (await adminFetch(stack.emulator, `/__emulator/accounts`)).json()) as Array<{
          id: string;
        }>;
        return accounts.some((a) => a.id === account.id) ? undefined : true;
      },
      LIFETIME_MS + 30_000,
    );
    const gone = await fetch(stack.emulator.localUrl(`${first.run.deploymentUrl}/`));
    expect(gone.status).toBe(404);

    const approved = await api(stack, `/api/runs/${id}/gates/claim/approve`, { json: { reason: "late" } });
    expect(approved.status).toBe(200);
    const second = await until("the second claim gate", async () => {
      const view = await runOf(stack, id);
      return view.gates.some((g) => g.kind === "claim" && g.seq === 2 && g.status === "pending")
        ? view
        : undefined;
    });
    expect(second.run.state).toBe("awaitingClaim");
    expect(second.run.account!.id).not.toBe(account.id);
    expect(second.run.account!.claimUrl).not.toBe(account.claimUrl);
    expect(provisioned(stack).length).toBeGreaterThanOrEqual(2);
    const live = await fetch(stack.emulator.localUrl(`${second.run.deploymentUrl}/count`));
    expect(await live.json()).toEqual({ count: expect.any(Number) });
  });
});
