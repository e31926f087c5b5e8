/** `prepare`: the run's workspace made ready (or its setup snapshot reused), its log kept. */
import type { LoopEvent } from "../loop/types.ts";
import { withArtifacts } from "./journal.ts";
import type { Work } from "./work.ts";
import { prepareWorkspace } from "./workspace.ts";

/** Where the log of the prepare step made under `key` is kept (what `logs --step prepare#1` prints). */
export const setupLogRefOf = (key: string) => `${key}:setup-log`;

export async function performPrepare(work: Work): Promise<LoopEvent> {
  const { env, key, sandbox, elapsed } = work;
  const { ports } = env;
  const prepared = await prepareWorkspace(ports.sandboxes, sandbox, env.job, key);
  const at = ports.clock.now();
  const event: LoopEvent = prepared.ok
    ? {
        type: "prepare.done",
        snapshotId: prepared.snapshotId,
        reusedSetup: prepared.reused,
        sandboxMs: elapsed(),
        at,
      }
    : { type: "prepare.failed", error: prepared.error, sandboxMs: elapsed(), at };
  // Written by this step's journal, with the event.
  return withArtifacts(event, {
    ref: setupLogRefOf(key),
    runId: env.runId,
    kind: "setup-log",
    body: prepared.log,
    at,
  });
}
