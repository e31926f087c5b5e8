/**
 * The tries of a wrangler step as wired (`deployRetryWithin` the deploy and promote steps'
 * timeout): however the tries end, the whole stays inside the step's own timeout.
 */
import { describe, expect, it } from "vitest";
import { deployRetryWithin, waitBeforeNextTry } from "../../../src/adapters/deploy/wrangler-step.ts";
import { stepPolicy } from "../../../src/run/step-policy.ts";

/** How many tries run, and how long it all takes, when every try fails transiently after `tryTakesMs`. */
function everyTryFails(stepTimeoutMs: number, tryTakesMs: number): { tries: number; totalMs: number } {
  const retry = deployRetryWithin(stepTimeoutMs);
  let totalMs = 0;
  for (let n = 1; ; n++) {
    totalMs += Math.min(tryTakesMs, retry.tryMs);
    const wait = waitBeforeNextTry(retry, n, totalMs);
    if (wait === null) return { tries: n, totalMs };
    totalMs += wait;
  }
}

describe("the tries of a wrangler step", () => {
  for (const kind of ["deploy", "promote"] as const) {
    const { timeout } = stepPolicy(kind);
    it(`${kind}: hung tries are cut off and the whole fits in the step's timeout`, () => {
      const retry = deployRetryWithin(timeout);
      expect(retry.tryMs).toBeLessThan(timeout / 2);
      const hung = everyTryFails(timeout, Number.POSITIVE_INFINITY);
      expect(hung.tries).toBeGreaterThanOrEqual(2);
      expect(hung.totalMs).toBeLessThanOrEqual(retry.budgetMs);
      expect(retry.budgetMs).toBeLessThan(timeout);
    });
    it(`${kind}: quick transient faults get every try`, () => {
      const quick = everyTryFails(timeout, 5_000);
      expect(quick.tries).toBe(deployRetryWithin(timeout).backoffMs.length + 1);
    });
  }

  it("refuses a step too short to hold a try", () => {
    expect(() => deployRetryWithin(30_000)).toThrow(/needs more than/);
  });
});
