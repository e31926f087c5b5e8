/**
 * With no legal sign-off on record for the Cloudflare API in use, the run
 * stops at the `tos` gate before its first temporary deploy: no deploy (and
 * so no temporary account) happens until a human signs off.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fakeCalls } from "../support/fakes/world.ts";
import { decide, inState, startRun, uniqueId, waitForRun } from "./harness.ts";

describe("terms-of-service gate", () => {
  it("waits at the tos gate, deploys nothing, and deploys once a human approves", async () => {
    await env.DB.prepare("DELETE FROM signoffs").run();
    const id = uniqueId("tos");
    await using instance = await startRun("loop", id);
    const waiting = await waitForRun(id, inState("awaitingTos"));
    expect(waiting.status).toBe("waiting");
    expect((await fakeCalls(env.DB, id)).some((c) => c.kind === "deploy")).toBe(false);
    expect((await decide(id, "tos", "approve", { by: "legal-1", reason: "terms reviewed" })).status).toBe(
      200,
    );
    await waitForRun(id, inState("awaitingClaim"));
    expect((await fakeCalls(env.DB, id)).filter((c) => c.kind === "deploy")).toHaveLength(1);
    await decide(id, "claim", "reject", { reason: "test over" });
    await instance.waitForStatus("complete");
  });
});
