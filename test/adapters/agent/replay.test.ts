/** The replay agent applies a recorded session round by round, and refuses to diverge from it. */
import { asIdempotencyKey } from "../../../src/ports/vocabulary.ts";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import session from "../../../workflows/hello-kv/session.json";
import { createReplayAgent } from "../../../src/adapters/agent/replay.ts";
import type { AgentRequest } from "../../../src/ports/agent.ts";
import { fakeSandboxes } from "../../support/fakes/sandbox.ts";
import { FakeWorld } from "../../support/fakes/world.ts";

const sandbox = fakeSandboxes(new FakeWorld(env.DB)).get("replay-test");
const request = (
  round: number,
  report: string | null,
  options: Record<string, unknown> = { session },
): AgentRequest => ({
  idempotencyKey: asIdempotencyKey(`r:write#${round}`),
  runId: "r",
  round,
  mode: round === 1 ? "write" : "fix",
  instructions: "count visits",
  options,
  report,
  budgetLeft: { tokens: 1_000_000, costUsd: 10 },
  sandbox,
});

describe("replay agent", () => {
  it("plays round 1, then the fix round when the report names the failing check", async () => {
    const agent = createReplayAgent();
    const first = await agent.write(request(1, null));
    expect(first).toMatchObject({
      ok: true,
      value: { replay: true, filesChanged: ["src/index.ts"], usage: { tokensIn: 5200 } },
    });
    expect(await sandbox.readFile("/workspace/src/index.ts")).toContain("Response.json({ visits })");
    if (first.ok) expect(first.value.summary).toMatch(/^\[replay of /);

    const fixed = await agent.write(
      request(2, JSON.stringify({ checks: [{ name: "counter counts", passed: false }] })),
    );
    expect(fixed.ok).toBe(true);
    expect(await sandbox.readFile("/workspace/src/index.ts")).toContain("Response.json({ count: visits })");
  });

  it("refuses to replay a fix round whose report does not match the recording", async () => {
    const result = await createReplayAgent().write(request(2, '{"checks":[{"name":"home answers"}]}'));
    expect(result).toMatchObject({
      ok: false,
      error: { code: "agent_failed", message: expect.stringContaining("diverged") },
    });
  });

  it("fails when asked for more rounds than were recorded", async () => {
    const result = await createReplayAgent().write(request(3, "counter counts"));
    expect(result).toMatchObject({
      ok: false,
      error: { code: "agent_failed", message: expect.stringContaining("2 rounds") },
    });
  });

  it("names the bad field of a malformed recording", async () => {
    const result = await createReplayAgent().write(
      request(1, null, { session: { version: 1, recordedFrom: "x", rounds: [{ summary: 3 }] } }),
    );
    expect(result).toMatchObject({
      ok: false,
      error: { code: "refused", message: expect.stringContaining("agent.options.session.rounds.0.summary") },
    });
  });

  it("names the field of an edit that is neither a write nor a delete, not just 'Invalid input'", async () => {
    const result = await createReplayAgent().write(
      request(1, null, {
        session: { version: 1, recordedFrom: "x", rounds: [{ summary: "s", edits: [{ path: "a.ts" }] }] },
      }),
    );
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: "refused",
        message: expect.stringContaining(
          "agent.options.session.rounds.0.edits.0.content: Invalid input: expected string",
        ),
      },
    });
  });

  it("refuses a round the budget cannot cover", async () => {
    const result = await createReplayAgent().write({
      ...request(1, null),
      budgetLeft: { tokens: 100, costUsd: 10 },
    });
    expect(result).toMatchObject({ ok: false, error: { code: "budget_insufficient" } });
  });
});
