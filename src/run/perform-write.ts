/** `write` and `fix`: one round of the agent in the Sandbox, snapshotted when it succeeds. */
import type { LoopEvent } from "../loop/types.ts";
import { timed, type Work } from "./work.ts";
import { ensureAt } from "./workspace.ts";

export async function performWrite(work: Work, mode: "write" | "fix"): Promise<LoopEvent> {
  const { env, key, name, sandbox, ctx, elapsed } = work;
  const { ports, runId } = env;
  await ensureAt(sandbox, ctx.snapshotId);
  const report = work.artifact;
  const agent = ports.agentFor(env.job.agent);
  const result = await timed(runId, name, "agent", () =>
    agent.write({
      idempotencyKey: key,
      runId,
      round: ctx.spent.iterations,
      mode,
      instructions: env.job.agent.instructions,
      options: env.job.agent.options,
      report,
      budgetLeft: {
        tokens: Math.max(0, ctx.budgets.maxTokens - ctx.spent.tokens),
        costUsd: Math.max(0, ctx.budgets.maxCostUsd - ctx.spent.costUsd),
      },
      sandbox,
    }),
  );
  if (!result.ok) {
    const u = result.error.usage;
    const usage = { tokens: u ? u.tokensIn + u.tokensOut : 0, costUsd: u?.costUsd ?? 0 };
    return {
      type: "write.failed",
      error: result.error,
      usage,
      sandboxMs: elapsed(),
      at: ports.clock.now(),
    };
  }
  const snap = await sandbox.snapshot({ idempotencyKey: key, name });
  const usage = {
    tokens: result.value.usage.tokensIn + result.value.usage.tokensOut,
    costUsd: result.value.usage.costUsd,
  };
  const { summary, replay } = result.value;
  return {
    type: "write.done",
    snapshotId: snap.id,
    usage,
    sandboxMs: elapsed(),
    summary: summary.slice(0, 2_000),
    replay,
    at: ports.clock.now(),
  };
}
