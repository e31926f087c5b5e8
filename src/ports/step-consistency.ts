/**
 * Step-consistent Sandboxes (design.md, "The Sandbox stays consistent with the
 * Workflow"): a Workflow step may run twice, so a step that changes the
 * Sandbox first makes sure the workspace is exactly the snapshot the previous
 * step returned — the marker (`status().snapshotId`) must name it, otherwise
 * the snapshot is restored — and ends by taking a snapshot whose id it
 * returns. A step killed half-way leaves the marker cleared (every mutating
 * call clears it), so its retry starts again from the same files.
 * Pure orchestration over the port; Worker-safe.
 */
import { type IdempotencyKey, subKey } from "./vocabulary.ts";
import type { Sandbox, SnapshotInfo } from "./sandbox.ts";

/** Restores `snapshotId` unless the workspace is already exactly that snapshot. Returns whether it restored. */
export async function ensureAtSnapshot(sandbox: Sandbox, snapshotId: string): Promise<boolean> {
  const { snapshotId: current } = await sandbox.status();
  if (current === snapshotId) return false;
  await sandbox.restore(snapshotId);
  return true;
}

/**
 * Runs a mutating step: restore the base snapshot if needed, run `work`, snapshot.
 * `idempotencyKey` (runId:stepName) makes a retried step that already snapshotted get the same id.
 *
 * @example
 * const { snapshot } = await runSnapshottedStep(box, { base: prev, idempotencyKey: `${runId}:write#2` },
 *   (b) => b.exec(["node", "agent.js"]));
 */
export async function runSnapshottedStep<T>(
  sandbox: Sandbox,
  opts: { base: string | null; idempotencyKey: IdempotencyKey; name?: string },
  work: (sandbox: Sandbox) => Promise<T>,
): Promise<{ value: T; snapshot: SnapshotInfo }> {
  if (opts.base !== null) await ensureAtSnapshot(sandbox, opts.base);
  const value = await work(sandbox);
  const snapshot = await sandbox.snapshot({
    idempotencyKey: subKey(opts.idempotencyKey, "snapshot"),
    ...(opts.name ? { name: opts.name } : {}),
  });
  return { value, snapshot };
}
