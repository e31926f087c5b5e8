/**
 * Driving real run Workflows in workerd: start runs through the real API,
 * watch their D1 rows, decide gates through the API. Waiting polls D1 (a
 * local run paused in waitForEvent reports "running", so D1 is the truth).
 */
import { type WorkflowInstanceIntrospector, introspectWorkflowInstance } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { recordSignoff } from "../../src/store/signoffs.ts";
import { getRun } from "../../src/store/runs.ts";
import type { RunRow } from "../../src/store/rows.ts";
import { FAKE_API_BASE } from "../support/fakes/ports.ts";
import type { FakeScript } from "../support/fakes/world.ts";
import { expect } from "vitest";

export const TOKEN = "test-token";

export function api(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TOKEN}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(new Request(`http://nightshift.test${path}`, { ...init, headers, body }));
}

export async function signOff(): Promise<void> {
  await recordSignoff(env.DB, {
    id: "test-signoff",
    apiBase: FAKE_API_BASE,
    termsUrl: "https://www.cloudflare.com/terms/",
    privacyUrl: "https://www.cloudflare.com/privacypolicy/",
    signedBy: "legal-1",
    signedAt: Date.now(),
    automatic: false,
  });
}

let counter = 0;
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** What a test may change about a run's Workflow instance (`forceEventTimeout`, `mockEvent`, …). */
export type RunModifier = Parameters<WorkflowInstanceIntrospector["modify"]>[0];

/**
 * An introspector for a run that does not exist yet (set up before it starts), with retry delays
 * off and the test's own modifications, which must be in place before the run reaches the step.
 */
export async function watchRun(id: string, modify?: RunModifier) {
  const instance = await introspectWorkflowInstance(env.RUN_WORKFLOW, id);
  await instance.modify(async (m) => {
    await m.disableRetryDelays();
    if (modify) await modify(m);
  });
  return instance;
}

/** Ends a test's run cleanly: reject it at its claim gate and wait until it is final. */
export async function rejectAtClaim(id: string, instance: { waitForStatus(s: string): Promise<void> }) {
  await waitForRun(id, inState("awaitingClaim"));
  expect((await decide(id, "claim", "reject", { reason: "test done" })).status).toBe(200);
  await instance.waitForStatus("complete");
  await waitForRun(id, (r) => r.status === "final");
}

/** Sets up the instance's introspector (before it exists), then starts it through the API. */
export async function startRun(job: string, id: string, fake: FakeScript = {}, modify?: RunModifier) {
  const instance = await watchRun(id, modify);
  const response = await api(`/api/jobs/${job}/runs`, { method: "POST", json: { id, input: { fake } } });
  if (response.status !== 201) throw new Error(`start failed: ${response.status} ${await response.text()}`);
  return instance;
}

export async function waitForRun(
  id: string,
  done: (run: RunRow) => boolean,
  timeoutMs = 20_000,
): Promise<RunRow> {
  const until = Date.now() + timeoutMs;
  let last: RunRow | null = null;
  while (Date.now() < until) {
    last = await getRun(env.DB, id);
    if (last && done(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${id} did not get there in time; last seen: ${last?.state}/${last?.status}`);
}

export const inState = (state: string) => (run: RunRow) => run.state === state;

export function decide(
  id: string,
  gate: string,
  decision: "approve" | "reject",
  body: Record<string, unknown> = {},
) {
  return api(`/api/runs/${id}/gates/${gate}/${decision}`, { method: "POST", json: body });
}
