/**
 * Delivering a gate decision to its run: `sendEvent` with retries. The
 * decision is already recorded in D1 before this runs, so a delivery that
 * fails for good is retried by the sweeper; nothing is lost.
 */
import type { Env } from "../env.ts";
import type { GateRow } from "../store/rows.ts";
import { instanceIdOf } from "../store/runs.ts";

export async function deliverDecision(
  env: Pick<Env, "DB" | "RUN_WORKFLOW">,
  gate: Pick<GateRow, "run_id" | "event_type" | "status" | "id">,
  attempts = 4,
): Promise<boolean> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      // The run's instance now: a resumed run has a new one (src/control/resume.ts).
      const instance = await env.RUN_WORKFLOW.get((await instanceIdOf(env.DB, gate.run_id)) ?? gate.run_id);
      await instance.sendEvent({ type: gate.event_type, payload: { gate: gate.id, status: gate.status } });
      return true;
    } catch {
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
  return false;
}
