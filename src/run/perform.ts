/**
 * Performs the work effects the machine names, through the ports, and turns
 * each outcome into a machine event. Runs inside `step.do`: everything here is
 * durable only as a whole step, and may run again after a crash, so every
 * creating call carries the step's idempotency key.
 */
import type { EffectRequest, LoopSnapshot } from "../loop/effect-of.ts";
import type { WorkEffectKind } from "../loop/effects.ts";
import type { LoopEvent } from "../loop/types.ts";
import type { Ports } from "../ports/index.ts";
import { readStepStart } from "../store/runs.ts";
import { boundReport, observeRun } from "./bound-approval.ts";
import { performApplyDns, performPlanDns, performPromote } from "./perform-promotion.ts";
import type { RunEnv } from "./run-env.ts";
import { reportRefOf, verifyAt, withReport } from "./verify-report.ts";
import { idempotencyKey } from "../ports/vocabulary.ts";
import type { StepName } from "../loop/step-names.ts";
import { ensureAt, prepareWorkspace, restoreSoon, sandboxNameOf } from "./workspace.ts";

/**
 * Runs one port call and prints how long it took (`nightshift timing <run> <step> <what> <ms>`):
 * non-durable, for operators and the loop benchmark (bench/loop.ts), which subtracts these
 * from a loop iteration to find the orchestration's own share.
 */
async function timed<T>(runId: string, step: StepName, what: string, call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await call();
  } finally {
    console.log(`nightshift timing ${runId} ${step} ${what} ${Date.now() - started}`);
  }
}

export async function performWork(
  env: RunEnv,
  effect: EffectRequest & { kind: WorkEffectKind },
  name: StepName,
  snapshot: LoopSnapshot,
): Promise<LoopEvent> {
  const { db, ports, runId } = env;
  // A fix round's report is read with the cancel check: one D1 round trip instead of two.
  const reportRef = effect.kind === "write" || effect.kind === "fix" ? snapshot.context.reportRef : null;
  const start = await readStepStart(db, runId, reportRef);
  if (start.cancel) return { type: "run.cancelled", by: start.cancel.by, at: ports.clock.now() };
  const key = idempotencyKey(runId, name);
  const started = ports.clock.now();
  const sandbox = ports.sandboxes.get(sandboxNameOf(runId));
  const ctx = snapshot.context;
  const elapsed = () => ports.clock.now() - started;

  switch (effect.kind) {
    case "prepare": {
      const prepared = await prepareWorkspace(ports.sandboxes, sandbox, env.job, key);
      if (!prepared.ok)
        return { type: "prepare.failed", error: prepared.error, sandboxMs: elapsed(), at: ports.clock.now() };
      return {
        type: "prepare.done",
        snapshotId: prepared.snapshotId,
        reusedSetup: prepared.reused,
        sandboxMs: elapsed(),
        at: ports.clock.now(),
      };
    }
    case "write":
    case "fix": {
      await ensureAt(sandbox, ctx.snapshotId);
      const report = start.artifact;
      const agent = ports.agentFor(env.job.agent);
      const mode = effect.kind;
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
    case "deploy": {
      await ensureAt(sandbox, ctx.snapshotId);
      const result = await timed(runId, name, "deployer", () =>
        ports.deployer.deploy({
          idempotencyKey: key,
          runId,
          workerName: env.job.deploy.workerName,
          config: env.job.deploy.config,
          freshAccount: ctx.freshAccount,
          sandbox,
        }),
      );
      // wrangler's build output is in no snapshot: the workspace goes back while the run waits.
      await restoreSoon(sandbox, ctx.snapshotId);
      const at = ports.clock.now();
      if (result.ok)
        return {
          type: "deploy.done",
          url: result.value.url,
          account: result.value.account,
          sandboxMs: elapsed(),
          at,
        };
      const { code, message, logRef } = result.error;
      return { type: "deploy.failed", error: { code, message }, reportRef: logRef, sandboxMs: elapsed(), at };
    }
    case "verify": {
      // Probes only talk to the deployment; commands run on the workspace, which must be the
      // snapshot that was deployed (the deploy left wrangler's build output in it).
      if (env.job.verify.commands.length > 0) await ensureAt(sandbox, ctx.snapshotId);
      // The version live while the probes ran, read before and after them: what an approval binds to.
      const before = await observeRun(env, ctx);
      const probed = await timed(runId, name, "verifier", () =>
        verifyAt(env, key, sandbox, {
          // Once promoted, what is live is the promoted Worker (a DNS target re-verified).
          url: ctx.promotedUrl ?? ctx.deploymentUrl ?? "",
          commands: env.job.verify.commands,
        }),
      );
      const report = boundReport(probed, before.version, (await observeRun(env, ctx)).version);
      const at = ports.clock.now();
      const reportRef = reportRefOf(key);
      const event = report.passed
        ? { type: "verify.passed" as const, reportRef, versionId: report.versionId, sandboxMs: elapsed(), at }
        : { type: "verify.failed" as const, reportRef, sandboxMs: elapsed(), at };
      // The report is written by this step's journal, with the event that refers to it.
      return withReport(env, event, { key, body: report, at });
    }
    case "promote":
      return performPromote(env, key, sandbox, ctx);
    case "planDns":
      return performPlanDns(env, key, ctx);
    case "applyDns":
      return performApplyDns(env, key, sandbox, ctx);
  }
}

export type { Ports };
