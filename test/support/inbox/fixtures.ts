/**
 * Inbox fixture rows at a frozen time: the same runs, gates and events every time, for page
 * tests (test/ui/) and the screenshot baselines (test/e2e/inbox-screens.test.ts).
 */
import type { EventRow, GateRow, RunRow } from "../../../src/store/rows.ts";

/** 2026-01-15 09:30 UTC: every fixture time is relative to it. */
export const NOW = Date.UTC(2026, 0, 15, 9, 30, 0);
const MIN = 60_000;

export function runRow(overrides: Partial<RunRow> & Pick<RunRow, "id" | "job">): RunRow {
  return {
    trigger: "api",
    status: "waiting",
    state: "awaitingClaim",
    input_json: {},
    context_json: {
      spent: { costUsd: 0.4213, tokens: 12_000, iterations: 2, deploys: 2, sandboxMs: 90_000 },
    },
    outcome_json: null,
    step_count: 9,
    current_step: null,
    wake_at: null,
    cancel_requested_at: null,
    cancel_requested_by: null,
    created_at: NOW - 12 * MIN - 5_000,
    updated_at: NOW - 3 * MIN,
    resumes: 0,
    aborted_in: null,
    ...overrides,
  };
}

export function gateRow(overrides: Partial<GateRow> & Pick<GateRow, "run_id">): GateRow {
  return {
    id: `${overrides.run_id}:claim-1`,
    kind: "claim",
    seq: 1,
    event_type: "gate.claim",
    status: "pending",
    approvers_json: ["approver"],
    shown_json: { accountExpiresAt: NOW + 41 * MIN, deploymentUrl: "https://hello-kv.acct-1.workers.dev" },
    shown_hash: "sha256:fixture",
    opened_at: NOW - 3 * MIN,
    deadline_at: NOW + 24 * 60 * MIN,
    decided_at: null,
    decided_by: null,
    reason: null,
    delivered_at: null,
    required_approvals: 1,
    claimed_before_approval_at: null,
    ...overrides,
  };
}

export const RUNS: RunRow[] = [
  runRow({ id: "hello-kv-0115-0918", job: "hello-kv" }),
  runRow({
    id: "nightly-0115-0300",
    job: "nightly",
    trigger: "schedule",
    status: "final",
    state: "succeeded",
    created_at: NOW - 6 * 60 * MIN - 30 * MIN,
    updated_at: NOW - 6 * 60 * MIN - 21 * MIN - 40_000,
    context_json: { spent: { costUsd: 1.5, tokens: 40_000, iterations: 3, deploys: 3, sandboxMs: 300_000 } },
  }),
  runRow({
    id: "hello-kv-0114-2210",
    job: "hello-kv",
    status: "running",
    state: "deploying",
    current_step: "deploy#2",
    created_at: NOW - 2 * MIN,
    updated_at: NOW - 20_000,
    context_json: null,
  }),
];

export const GATES: GateRow[] = [gateRow({ run_id: "hello-kv-0115-0918" })];

export function eventRows(runId: string): EventRow[] {
  const event = (
    seq: number,
    type: string,
    to: string | null,
    at: number,
    data: unknown = null,
  ): EventRow => ({
    seq,
    run_id: runId,
    step: null,
    type,
    actor: seq === 1 ? "admin" : null,
    from_state: null,
    to_state: to,
    data_json: data,
    at,
  });
  return [
    event(1, "run.started", "preparing", NOW - 12 * MIN),
    event(2, "prepare.done", "writing", NOW - 11 * MIN),
    event(3, "write.done", "deploying", NOW - 9 * MIN, { summary: "Made the greeting say hello." }),
    event(4, "deploy.done", "verifying", NOW - 7 * MIN),
    event(5, "verify.passed", "awaitingClaim", NOW - 3 * MIN),
  ];
}
