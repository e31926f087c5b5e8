/**
 * Budget arithmetic: pure predicates over the machine's context. A budget is
 * spent when the next unit of work would exceed it, so a loop limited to N
 * iterations runs exactly N.
 */
import type { LoopContext } from "./types.ts";

export type BudgetName = "iterations" | "deploys" | "deadline" | "tokens" | "cost" | "sandboxMinutes";

/** Which hard cap (tokens, cost, sandbox time, deadline) is already crossed at time `at`, if any. */
export function spentCap(ctx: LoopContext, at: number): BudgetName | null {
  if (at >= ctx.budgets.deadlineAt) return "deadline";
  if (ctx.spent.tokens > ctx.budgets.maxTokens) return "tokens";
  if (ctx.spent.costUsd > ctx.budgets.maxCostUsd) return "cost";
  if (ctx.spent.sandboxMs > ctx.budgets.maxSandboxMs) return "sandboxMinutes";
  return null;
}

export function iterationsLeft(ctx: LoopContext): boolean {
  return ctx.spent.iterations < ctx.budgets.maxIterations;
}

export function deploysLeft(ctx: LoopContext): boolean {
  return ctx.spent.deploys < ctx.budgets.maxDeploys;
}

/** What stops the next round of work, if anything. Checked after a work step reports. */
export function blockingBudget(
  ctx: LoopContext,
  at: number,
  next: "write" | "deploy" | "none",
): BudgetName | null {
  const cap = spentCap(ctx, at);
  if (cap) return cap;
  if (next === "write" && !iterationsLeft(ctx)) return "iterations";
  if (next === "deploy" && !deploysLeft(ctx)) return "deploys";
  return null;
}
