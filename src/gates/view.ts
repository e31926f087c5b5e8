/**
 * Everything a gate page shows, gathered from D1: the gate row and what it was
 * opened with, the run (budgets, deployment), the verification report and the
 * diff from the run's artifacts, the agent's summary. `viewHash` digests all
 * of it: a decision made from the page carries it, and is refused (409) when
 * anything it rests on changed since the page was rendered.
 */
import { type VerifyReport, verifyReportSchema } from "../ports/verifier.ts";
import { getArtifact } from "../store/artifacts.ts";
import { digest } from "../store/digest.ts";
import { type ApprovalRow, listApprovals } from "../store/gates.ts";
import { artifactsOfKind, lastWriteEvent, latestArtifactOfKind } from "../store/inbox-queries.ts";
import type { GateRow, RunRow } from "../store/rows.ts";
import { getRun } from "../store/runs.ts";

export interface GateView {
  gate: GateRow;
  run: RunRow | null;
  shown: Record<string, unknown>;
  reportRef: string | null;
  report: VerifyReport | null;
  /** The stored report when it is not a report we can read (shown raw). */
  reportText: string | null;
  diffRef: string | null;
  /** The run's whole change so far (the newest `diff` artifact: src/adapters/agent/diffing.ts). */
  diff: string | null;
  /** What each round changed, oldest first; the refs name the round's step (`<run>:fix#1:round-diff`). */
  roundDiffs: { ref: string; body: string }[];
  summary: string | null;
  /** Approvals so far on a gate that needs more than one (not part of the view hash: they do not change what is decided). */
  approvals: ApprovalRow[];
  viewHash: string;
}

function str(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

export async function loadGateView(db: D1Database, gate: GateRow): Promise<GateView> {
  const shown = (gate.shown_json ?? {}) as Record<string, unknown>;
  const run = await getRun(db, gate.run_id);
  const reportRef = str(shown.reportRef);
  const reportBody = reportRef ? ((await getArtifact(db, reportRef))?.body ?? null) : null;
  let report: VerifyReport | null = null;
  if (reportBody) {
    try {
      const parsed = verifyReportSchema.safeParse(JSON.parse(reportBody));
      if (parsed.success) report = parsed.data;
    } catch {
      // shown raw below
    }
  }
  const diffRef = str(shown.diffRef);
  const diffArtifact = diffRef
    ? { ref: diffRef, body: (await getArtifact(db, diffRef))?.body ?? "" }
    : await latestArtifactOfKind(db, gate.run_id, "diff");
  const write = await lastWriteEvent(db, gate.run_id);
  const data = (write?.data_json ?? {}) as Record<string, unknown>;
  const summary = str(shown.agentSummary) ?? str(data.summary);
  const viewHash = await digest({
    shownHash: gate.shown_hash,
    report: reportBody,
    diff: diffArtifact?.body ?? null,
    summary,
  });
  return {
    gate,
    run,
    shown,
    reportRef,
    report,
    reportText: report ? null : reportBody,
    diffRef: diffArtifact?.ref ?? null,
    diff: diffArtifact?.body ?? null,
    roundDiffs: await artifactsOfKind(db, gate.run_id, "round-diff"),
    summary,
    approvals: gate.required_approvals > 1 ? await listApprovals(db, gate.id) : [],
    viewHash,
  };
}
