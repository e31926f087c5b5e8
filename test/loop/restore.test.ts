/**
 * Restoring a run where its last completed step left it (a resume): the state and context as
 * the run row holds them (JSON), the next step under the same name, the wall-clock deadline
 * moved on by the time the run lay failed, and no state without a step to resume at.
 */
import { describe, expect, it } from "vitest";
import { currentEffect, stateName } from "../../src/loop/effect-of.ts";
import { restoreSnapshot, unrestorable } from "../../src/loop/restore.ts";
import type { LoopContext } from "../../src/loop/types.ts";
import { ev, HOUR, start, step, T0 } from "./helpers.ts";

/** A run that wrote, deployed and failed verification once: it is fixing next. */
const live = [ev.prepared(), ev.written(1), ev.deployed(), ev.failed()].reduce(step, start());
const asRecorded = JSON.parse(JSON.stringify(live.context)) as LoopContext;

describe("restoring a run to resume it", () => {
  it("asks for the step it would have asked for, with the budgets spent so far", () => {
    const restored = restoreSnapshot(stateName(live), asRecorded, 0);
    expect(stateName(restored)).toBe("fixing");
    expect(currentEffect(restored)).toEqual(currentEffect(live));
    expect(restored.context.spent).toEqual(live.context.spent);
    // And it goes on as the live one does.
    const next = (s: typeof live) => currentEffect(step(s, ev.written(2, T0 + 5000)));
    expect(next(restored)).toEqual(next(live));
  });

  it("does not charge the time the run lay failed to its wall-clock deadline", () => {
    const restored = restoreSnapshot(stateName(live), asRecorded, 3 * HOUR);
    expect(restored.context.budgets.deadlineAt).toBe(live.context.budgets.deadlineAt + 3 * HOUR);
    expect(restoreSnapshot(stateName(live), asRecorded, -5).context.budgets.deadlineAt).toBe(
      live.context.budgets.deadlineAt,
    );
  });

  it("refuses a state with no step to resume at, an unknown one, or no context", () => {
    expect(unrestorable("succeeded", asRecorded)).toMatch(/names no step/);
    expect(unrestorable("starting", asRecorded)).toMatch(/names no step/);
    expect(unrestorable("nowhere", asRecorded)).toMatch(/not a state of the loop/);
    expect(unrestorable("deploying", null)).toMatch(/no machine context/);
    expect(unrestorable("deploying", asRecorded)).toBeNull();
    expect(() => restoreSnapshot("failed", asRecorded, 0)).toThrow(/cannot resume/);
  });
});
