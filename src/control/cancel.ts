/**
 * Cancelling a run: recorded in D1 first. A run waiting at a gate is woken
 * through that gate (its row becomes `cancelled`); a working run sees the flag
 * at its next step and the machine ends in `cancelled`.
 */
import type { Env } from "../env.ts";
import { appendEvent } from "../store/events.ts";
import { decideGate, getGate, listGates } from "../store/gates.ts";
import { getRun, requestCancel } from "../store/runs.ts";
import { deliverDecision } from "../gates/deliver.ts";

export type CancelResult = { ok: true } | { ok: false; code: "not_found" | "conflict"; message: string };

export async function cancelRun(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  request: { runId: string; by: string; reason: string | null; at: number },
): Promise<CancelResult> {
  const run = await getRun(env.DB, request.runId);
  if (!run) return { ok: false, code: "not_found", message: `no run ${request.runId}` };
  if (run.status === "final")
    return { ok: false, code: "conflict", message: `run ${request.runId} already ended (${run.state})` };
  const flagged = await requestCancel(env.DB, request.runId, request.by, request.at);
  if (!flagged)
    return { ok: false, code: "conflict", message: `run ${request.runId} is already being cancelled` };
  await appendEvent(env.DB, {
    runId: request.runId,
    step: null,
    type: "run.cancel_requested",
    actor: request.by,
    data: { reason: request.reason },
    at: request.at,
  });
  for (const gate of await listGates(env.DB, { runId: request.runId, status: "pending" })) {
    if (
      await decideGate(env.DB, gate.id, {
        status: "cancelled",
        by: request.by,
        reason: request.reason,
        at: request.at,
      })
    ) {
      await deliverDecision(env, (await getGate(env.DB, gate.id)) ?? gate);
    }
  }
  return { ok: true };
}
