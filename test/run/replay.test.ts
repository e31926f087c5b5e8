/**
 * Determinism: Workflows re-runs `run()` from the top and hands back cached
 * step results. Driving the loop a second time over the recorded results must
 * ask for the same steps in the same order, perform nothing, and end the same.
 */
import { describe, expect, it } from "vitest";
import { driveLoop, type LoopEffects, type StepRunner } from "../../src/run/driver.ts";
import type { EffectRequest } from "../../src/loop/effect-of.ts";
import type { LoopEvent } from "../../src/loop/types.ts";
import { input, T0 } from "../loop/helpers.ts";

/** Records every step's result on the first pass; replays them (and only them) on the next. */
class RecordingRunner implements StepRunner {
  readonly names: string[] = [];
  constructor(readonly cache = new Map<string, unknown>()) {}
  async do<T extends object>(name: string, _policy: unknown, fn: () => Promise<T>): Promise<T> {
    this.names.push(name);
    if (this.cache.has(name)) return structuredClone(this.cache.get(name)) as T;
    const value = await fn();
    this.cache.set(name, structuredClone(value));
    return value;
  }
  async sleep(name: string): Promise<void> {
    this.names.push(name);
  }
  async waitForEvent(name: string): Promise<{ timedOut: boolean }> {
    this.names.push(name);
    if (!this.cache.has(name)) this.cache.set(name, { timedOut: false });
    return this.cache.get(name) as { timedOut: boolean };
  }
}

/** Scripted world: the first round leaves a bug, the claim comes after the account expired. */
function scriptedEffects(performed: string[]): LoopEffects {
  let clock = T0;
  const tick = () => (clock += 1_000);
  return {
    init: async () => input({ budgets: { maxIterations: 4 } }),
    async work(effect: EffectRequest, name) {
      performed.push(name);
      const at = tick();
      switch (effect.kind) {
        case "prepare":
          return { type: "prepare.done", snapshotId: "p", sandboxMs: 10, at };
        case "write":
        case "fix":
          return {
            type: "write.done",
            snapshotId: `w${effect.seq}`,
            usage: { tokens: 100, costUsd: 0.001 },
            sandboxMs: 10,
            at,
          };
        case "deploy":
          return {
            type: "deploy.done",
            url: `https://w.a${effect.seq}.workers.dev`,
            account: {
              id: `a${effect.seq}`,
              claimUrl: `https://claim/${effect.seq}`,
              expiresAt: at + 60_000,
              claimExpiresAt: at + 60_000,
            },
            sandboxMs: 10,
            at,
          };
        case "verify":
          return {
            type: effect.seq === 1 ? "verify.failed" : "verify.passed",
            reportRef: `r${effect.seq}`,
            sandboxMs: 10,
            at,
          };
        default:
          return { type: "promote.done", url: "https://w.a.workers.dev", at };
      }
    },
    openGate: async () => ({ eventType: "gate-claim", openedAt: clock, deadlineAt: clock + 3_600_000 }),
    async settleGate(effect): Promise<LoopEvent> {
      performed.push(`${effect.kind}#${effect.seq}/settle`);
      // The first claim approval arrives two hours later: after the account's hour.
      clock += effect.seq === 1 ? 7_200_000 : 1_000;
      return { type: "gate.approved", gate: "claim", by: "approver-1", reason: null, at: clock };
    },
    journal: async () => {},
    settleMs: () => 500,
    claimPollMs: () => 1_000,
    finish: async () => {},
  };
}

describe("replay", () => {
  it("yields the same step names, effects and final state over recorded results", async () => {
    const first = new RecordingRunner();
    const performedFirst: string[] = [];
    const live = await driveLoop(first, scriptedEffects(performedFirst));

    const replay = new RecordingRunner(first.cache);
    const performedReplay: string[] = [];
    const replayed = await driveLoop(replay, scriptedEffects(performedReplay));

    expect(replayed).toEqual(live);
    expect(replay.names).toEqual(first.names);
    expect(performedReplay).toEqual([]);
    expect(live.state).toBe("succeeded");
    expect(first.names).toEqual([
      "init",
      "prepare#1",
      "write#1",
      "deploy#1",
      "verify#1/propagation",
      "verify#1",
      "fix#1",
      "deploy#2",
      "verify#2/propagation",
      "verify#2",
      "gate:claim#1/open",
      "gate:claim#1",
      "gate:claim#1/settle",
      "deploy#3",
      "verify#3/propagation",
      "verify#3",
      "gate:claim#2/open",
      "gate:claim#2",
      "gate:claim#2/settle",
      "promote#1",
      "finish",
    ]);
    expect(new Set(first.names).size).toBe(first.names.length);
  });
});
