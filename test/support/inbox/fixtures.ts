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
      budgets: { maxIterations: 3, maxDeploys: 6, maxTokens: 200_000, maxCostUsd: 5 },
      deploymentUrl: "https://hello-kv.acct-1.workers.dev",
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
    id: `${overrides.run_id}:claim:1`,
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

const DIFF = `diff --git a/src/index.ts b/src/index.ts
--- a/src/index.ts
+++ b/src/index.ts
@@ -1,3 +1,3 @@
 export default {
-  fetch: () => new Response("hi"),
+  fetch: () => new Response("hello, world"),
 };
`;

/** What the claim gate page of the waiting run shows (src/gates/view.ts). */
export function gateViewFixture() {
  const gate = GATES[0]!;
  return {
    gate,
    run: RUNS[0]!,
    shown: {
      ...(gate.shown_json as Record<string, unknown>),
      worker: "hello-kv",
      verifiedSnapshotId: "snap-7",
      verifiedVersionId: "ver-7",
      claimUrl: "https://dash.cloudflare.com/claim/fixture",
    },
    reportRef: "hello-kv-0115-0918:verify#2:report",
    report: {
      passed: true,
      url: "https://hello-kv.acct-1.workers.dev",
      checks: [
        {
          name: "GET /",
          kind: "probe" as const,
          passed: true,
          expected: "200, body has hello",
          actual: "200 hello, world",
          excerpt: "",
          durationMs: 40,
        },
        {
          name: "npm test",
          kind: "command" as const,
          passed: true,
          expected: "exit 0",
          actual: "exit 0",
          excerpt: "",
          durationMs: 900,
        },
      ],
    },
    reportText: null,
    diffRef: "hello-kv-0115-0918:fix#1:diff",
    diff: DIFF,
    roundDiffs: [{ ref: "hello-kv-0115-0918:write#1:round-diff", body: DIFF }],
    summary: "Made the greeting say hello, world.",
    approvals: [],
    viewHash: "sha256:fixture-view",
  };
}

/** The jobs the screenshot Worker knows: few and fixed, so the jobs page's baseline stays put. */
export const SCREEN_JOBS = [
  { name: "hello-kv", description: "The example: a Worker with a KV namespace." },
  { name: "nightly", triggers: [{ kind: "schedule", cron: "0 3 * * *" }] },
  {
    name: "on-push",
    triggers: [{ kind: "webhook", source: "github", filter: { event: "push", branch: "main" } }],
  },
].map((job) => ({
  source: { kind: "directory", path: "workflows/hello-kv/project" },
  agent: { adapter: "fake", instructions: "make it work" },
  deploy: { workerName: "hello-kv" },
  verify: { probes: [{ path: "/" }] },
  ...job,
}));

/** Every row the screenshot Worker seeds, by table (`*_json` columns as values, stringified there). */
export function screenRows(): Record<string, Record<string, unknown>[]> {
  const view = gateViewFixture();
  const run = RUNS[0]!;
  return {
    runs: RUNS,
    gates: GATES.map((g) => ({
      ...g,
      shown_json: { ...view.shown, reportRef: view.reportRef, diffRef: view.diffRef },
    })),
    events: eventRows(run.id),
    artifacts: [
      {
        ref: view.reportRef,
        run_id: run.id,
        kind: "report",
        body: JSON.stringify(view.report),
        created_at: NOW - 3 * MIN,
      },
      { ref: view.diffRef, run_id: run.id, kind: "diff", body: view.diff, created_at: NOW - 5 * MIN },
      ...view.roundDiffs.map((r) => ({
        ref: r.ref,
        run_id: run.id,
        kind: "round-diff",
        body: r.body,
        created_at: NOW - 9 * MIN,
      })),
    ],
    job_state: [
      {
        job: "nightly",
        paused: 1,
        paused_at: NOW - 2 * 60 * MIN,
        paused_by: "ann@example.com",
        pause_reason: "flaky upstream",
        updated_at: NOW - 2 * 60 * MIN,
      },
    ],
  };
}
