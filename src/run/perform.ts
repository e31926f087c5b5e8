/**
 * Performs the work effects the machine names, through the ports, and turns
 * each outcome into a machine event. Runs inside `step.do`: everything here is
 * durable only as a whole step, and may run again after a crash, so every
 * creating call carries the step's idempotency key. This module reads the
 * step's start (cancel check, a fix round's report) and dispatches to the
 * function that performs the effect's kind.
 */
import type { EffectRequest, LoopSnapshot } from "../loop/effect-of.ts";
import type { WorkEffectKind } from "../loop/effects.ts";
import type { StepName } from "../loop/step-names.ts";
import type { LoopEvent } from "../loop/types.ts";
import type { Ports } from "../ports/index.ts";
import { idempotencyKey } from "../ports/vocabulary.ts";
import { readStepStart } from "../store/runs.ts";
import { performDeploy } from "./perform-deploy.ts";
import { performPrepare } from "./perform-prepare.ts";
import { performApplyDns, performPlanDns, performPromote } from "./perform-promotion.ts";
import { performVerify } from "./perform-verify.ts";
import { performWrite } from "./perform-write.ts";
import type { RunEnv } from "./run-env.ts";
import type { Work } from "./work.ts";
import { sandboxNameOf } from "./workspace.ts";

/** The function that performs each work effect (perform-*.ts). */
const WORK: Record<WorkEffectKind, (work: Work) => Promise<LoopEvent>> = {
  prepare: performPrepare,
  write: (work) => performWrite(work, "write"),
  fix: (work) => performWrite(work, "fix"),
  deploy: performDeploy,
  verify: performVerify,
  promote: (work) => performPromote(work.env, work.key, work.sandbox, work.ctx),
  planDns: (work) => performPlanDns(work.env, work.key, work.ctx),
  applyDns: (work) => performApplyDns(work.env, work.key, work.sandbox, work.ctx),
};

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
  const elapsed = () => ports.clock.now() - started;
  return WORK[effect.kind]({
    env,
    name,
    key,
    sandbox,
    ctx: snapshot.context,
    artifact: start.artifact,
    elapsed,
  });
}

export type { Ports };
