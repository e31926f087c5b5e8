/**
 * The Agent port's contract, written once and run against the LLM adapters
 * (scripted model servers, real local Sandboxes), the replay agent and the
 * test fake. What an Agent promises (src/ports/agent.ts): a write round
 * answers with the output schema's shape — a summary, the files it changed
 * (there in the Sandbox), its usage — or with an expected failure as a value
 * carrying one of the documented codes; and a round the budget left cannot
 * cover is refused with `budget_insufficient` before anything is touched.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AGENT_ERROR_CODES,
  type Agent,
  type AgentRequest,
  agentOutputSchema,
} from "../../src/ports/agent.ts";
import type { Sandbox } from "../../src/ports/sandbox.ts";
import { asIdempotencyKey } from "../../src/ports/vocabulary.ts";

/** One write round's setting: the agent as a job configures it, and a fresh Sandbox for it. */
export interface AgentScene {
  agent: Agent;
  sandbox: Sandbox;
  /** The files the scene put in /workspace before the round (paths relative to it). */
  seeded: Record<string, string>;
  instructions: string;
  options?: Record<string, unknown>;
}

export interface AgentContractTarget {
  /** A round that works; with `fails`, one its model or recording makes fail (absent where none can). */
  scene(outcome: "works" | "fails"): Promise<AgentScene>;
  dispose(): Promise<void>;
}

/** Known departures, declared by the runner: their tests are expected to fail until fixed. */
export type AgentGap = "ignores-the-budget";

export function agentContract(
  label: string,
  options: { canFail: boolean; gaps?: readonly AgentGap[] },
  makeTarget: () => Promise<AgentContractTarget>,
): void {
  describe(`Agent contract: ${label}`, () => {
    let t: AgentContractTarget;
    let n = 0;
    const gap = (name: AgentGap) => (options.gaps?.includes(name) ? it.fails : it);
    const write = (scene: AgentScene, over: Partial<AgentRequest> = {}) => {
      const runId = `contract-${Date.now().toString(36)}-${n++}`;
      return scene.agent.write({
        idempotencyKey: asIdempotencyKey(`${runId}:write#1`),
        runId,
        round: 1,
        mode: "write",
        instructions: scene.instructions,
        options: scene.options ?? {},
        report: null,
        budgetLeft: { tokens: 1_000_000, costUsd: 10 },
        sandbox: scene.sandbox,
        ...over,
      });
    };

    beforeAll(async () => {
      t = await makeTarget();
    });
    afterAll(async () => {
      await t?.dispose();
    });

    it("answers a write round in the output schema's shape, with its usage", async () => {
      const scene = await t.scene("works");
      expect(scene.agent.name).not.toBe("");
      const result = await write(scene);
      if (!result.ok) throw new Error(`write failed: ${result.error.code}: ${result.error.message}`);
      expect(agentOutputSchema.strict().parse(result.value)).toEqual(result.value);
      expect(result.value.summary).not.toBe("");
      expect(result.value.usage.tokensIn + result.value.usage.tokensOut).toBeGreaterThan(0);
    });

    it("changed in the Sandbox every file it says it changed (made, edited or deleted)", async () => {
      const scene = await t.scene("works");
      const result = await write(scene);
      if (!result.ok) throw new Error(`write failed: ${result.error.code}`);
      expect(result.value.filesChanged.length).toBeGreaterThan(0);
      for (const path of result.value.filesChanged) {
        const now = await scene.sandbox.readFile(path).catch(() => null);
        expect(now, path).not.toBe(scene.seeded[path] ?? null);
      }
    });

    // Registered only where a round can fail (not reported as skipped elsewhere).
    if (options.canFail)
      it("fails a round as a value with a documented code, not a throw", async () => {
        const result = await write(await t.scene("fails"));
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(AGENT_ERROR_CODES).toContain(result.error.code);
        expect(result.error.message).not.toBe("");
      });

    gap("ignores-the-budget")(
      "refuses a round the budget left cannot cover with budget_insufficient, touching nothing",
      async () => {
        const scene = await t.scene("works");
        const before = await scene.sandbox.snapshot();
        const result = await write(scene, { budgetLeft: { tokens: 0, costUsd: 0 } });
        expect(result).toMatchObject({ ok: false, error: { code: "budget_insufficient" } });
        expect((await scene.sandbox.status()).snapshotId).toBe(before.id);
      },
    );
  });
}
