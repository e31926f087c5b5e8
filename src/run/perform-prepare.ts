/** `prepare`: the run's workspace made ready (or its setup snapshot reused). */
import type { LoopEvent } from "../loop/types.ts";
import type { Work } from "./work.ts";
import { prepareWorkspace } from "./workspace.ts";

export async function performPrepare(work: Work): Promise<LoopEvent> {
  const { env, key, sandbox, elapsed } = work;
  const { ports } = env;
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
