/**
 * Who sees a run's claim URL: a principal who may decide the run's claim gate,
 * by the gate row's approvers, else the latest claim gate's, else the job's
 * current policy. Every view of a run or gate in the API asks here.
 */
import type { JobRegistry } from "../jobs/registry.ts";
import type { GateRow, RunRow } from "../store/rows.ts";
import { maySeeClaimUrl } from "../web/claim-url.ts";
import type { Principal } from "../web/roles.ts";
import type { ViewOptions } from "./views.ts";

export function claimVisibility(registry: JobRegistry) {
  /** Whether `principal` sees the claim URL in views of `run` (and its `gates`). */
  const visibility = (
    principal: Principal,
    run: Pick<RunRow, "id" | "job">,
    gates: readonly GateRow[] = [],
  ): ViewOptions => {
    const claimGate = gates.filter((g) => g.kind === "claim").at(-1);
    const approvers = claimGate?.approvers_json ??
      registry.jobs.get(run.job)?.gates.claim.approvers ?? ["approver"];
    return { showClaimUrl: maySeeClaimUrl(principal, { runId: run.id, approvers }) };
  };
  const gateVisibility = (principal: Principal, gate: GateRow): ViewOptions =>
    gate.kind === "claim"
      ? { showClaimUrl: maySeeClaimUrl(principal, { runId: gate.run_id, approvers: gate.approvers_json }) }
      : { showClaimUrl: false };
  return { visibility, gateVisibility };
}
