/** `deploy`: the current snapshot deployed by the Deployer port. */
import type { LoopEvent } from "../loop/types.ts";
import { timed, type Work } from "./work.ts";
import { ensureAt, restoreSoon } from "./workspace.ts";

export async function performDeploy(work: Work): Promise<LoopEvent> {
  const { env, key, name, sandbox, ctx, elapsed } = work;
  const { ports, runId } = env;
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
