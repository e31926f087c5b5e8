/** Budget guards stop the loop at exactly the limit, never one round later or earlier. */
import { describe, expect, it } from "vitest";
import { currentEffect } from "../../src/loop/effect-of.ts";
import type { LoopSnapshot } from "../../src/loop/effect-of.ts";
import { ev, HOUR, input, start, stateName, step, T0 } from "./helpers.ts";

/** Drives a run whose verification always fails; counts the rounds the machine asks for. */
function alwaysFailing(
  s: LoopSnapshot,
  events: { written?: (n: number) => Parameters<typeof step>[1] } = {},
) {
  let snap = step(s, ev.prepared());
  const effects: string[] = [];
  for (let guard = 0; guard < 100 && snap.status !== "done"; guard++) {
    const eff = currentEffect(snap)!;
    effects.push(`${eff.kind}#${eff.seq}`);
    if (eff.kind === "write" || eff.kind === "fix")
      snap = step(snap, (events.written ?? ((n) => ev.written(n)))(eff.seq));
    else if (eff.kind === "deploy") snap = step(snap, ev.deployed());
    else if (eff.kind === "verify") snap = step(snap, ev.failed());
    else throw new Error(`unexpected ${eff.kind}`);
  }
  return { snap, effects };
}

describe("budgets", () => {
  it.each([1, 2, 3, 5])("runs exactly %i write/fix rounds with maxIterations %i", (max) => {
    const { snap, effects } = alwaysFailing(start(input({ budgets: { maxIterations: max } })));
    expect(effects.filter((e) => e.startsWith("write") || e.startsWith("fix"))).toHaveLength(max);
    expect(stateName(snap)).toBe("budgetExhausted");
    expect(snap.context.outcome?.code).toBe("budget_iterations");
    expect(snap.context.spent.iterations).toBe(max);
  });

  it("runs exactly maxDeploys deploys when accounts keep expiring", () => {
    let s = step(step(start(input({ budgets: { maxDeploys: 2 } })), ev.prepared()), ev.written(1));
    let deploys = 0;
    while (stateName(s) === "deploying") {
      deploys++;
      s = step(s, ev.deployFailed("account_expired"));
    }
    expect(deploys).toBe(2);
    expect(stateName(s)).toBe("budgetExhausted");
    expect(s.context.outcome?.code).toBe("budget_deploys");
  });

  it("stops when the deploy budget would be exceeded by the next fix round", () => {
    const { snap, effects } = alwaysFailing(start(input({ budgets: { maxIterations: 10, maxDeploys: 2 } })));
    expect(effects.filter((e) => e.startsWith("deploy"))).toHaveLength(2);
    expect(snap.context.outcome?.code).toBe("budget_deploys");
  });

  it("stops once the token budget is crossed, after the round that crossed it", () => {
    const { snap, effects } = alwaysFailing(
      start(input({ budgets: { maxIterations: 10, maxTokens: 2_500 } })),
    );
    expect(effects.filter((e) => e.startsWith("write") || e.startsWith("fix"))).toHaveLength(3);
    expect(snap.context.spent.tokens).toBe(3_000);
    expect(snap.context.outcome?.code).toBe("budget_tokens");
  });

  it("stops on cost at the same boundary", () => {
    const { snap } = alwaysFailing(start(input({ budgets: { maxIterations: 10, maxCostUsd: 0.02 } })), {
      written: (n) => ev.written(n, T0 + 2000, { tokens: 10, costUsd: 0.01 }),
    });
    expect(snap.context.spent.costUsd).toBe(0.03);
    expect(snap.context.outcome?.code).toBe("budget_cost");
  });

  it("ends the working loop at the wall-clock deadline", () => {
    let s = step(step(start(input({ budgets: { maxIterations: 10 } })), ev.prepared()), ev.written(1));
    s = step(s, ev.deployed());
    s = step(s, ev.failed(T0 + HOUR));
    expect(stateName(s)).toBe("budgetExhausted");
    expect(s.context.outcome?.code).toBe("budget_deadline");
  });

  it("does not hold a human's late claim approval to the working deadline", () => {
    let s = step(step(step(step(start(), ev.prepared()), ev.written(1)), ev.deployed()), ev.passed());
    s = step(s, ev.approve("claim", T0 + 30 * HOUR));
    expect(stateName(s)).toBe("deploying");
  });

  it("stops on sandbox minutes", () => {
    const s = step(start(input({ budgets: { maxSandboxMs: 500 } })), ev.prepared());
    expect(stateName(s)).toBe("budgetExhausted");
    expect(s.context.outcome?.code).toBe("budget_sandboxMinutes");
  });
});
