/**
 * Test support for the loop's end-to-end suites: the real local stack (`startLocalStack`,
 * what `npm start` runs: emulator, egress proxy, Sandbox host under bubblewrap,
 * orchestrator under `wrangler dev`) in a scratch state directory, and small helpers to
 * drive it through its HTTP API. One stack per test file.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type LocalStack,
  type LocalStackOptions,
  startLocalStack,
} from "../../src/local/orchestrator/stack.ts";
import { freePort } from "../../src/local/net.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
export const TOKEN = "e2e-token";

export interface TestStack extends LocalStack {
  dispose(): Promise<void>;
}

export async function startTestStack(
  name: string,
  options: Partial<
    Pick<
      LocalStackOptions,
      | "mode"
      | "accountLifetimeMs"
      | "config"
      | "egress"
      | "organisation"
      | "orchestratorVars"
      | "onLine"
      | "emulatorLog"
    >
  > = {},
): Promise<TestStack> {
  const dir = await mkdtemp(join(tmpdir(), `nightshift-${name}-`));
  const stack = await startLocalStack({
    root: ROOT,
    stateDir: dir,
    port: await freePort(),
    emulatorPort: 0,
    sandboxPort: 0,
    egressPort: 0,
    // No model key of this machine's environment ever reaches a test's egress proxy.
    egress: { keys: {} },
    token: TOKEN,
    emulatorLog: () => {},
    ...options,
  });
  // Onto the stack itself, not a copy: its services' getters must keep naming the running instances.
  return Object.assign(stack, {
    async dispose() {
      await stack.close();
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    },
  });
}

export async function api<T = Record<string, unknown>>(
  stack: LocalStack,
  path: string,
  init: { method?: string; json?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${stack.url}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** The steps of the example loop up to its claim gate: round 1 writes a bug, the fix round repairs it. */
export const EXAMPLE_LOOP_STEPS = [
  "init tos.signed_off_automatically",
  "prepare#1 prepare.done",
  "write#1 write.done",
  "deploy#1 deploy.done",
  "verify#1 verify.failed",
  "fix#1 write.done",
  "deploy#2 deploy.done",
  "verify#2 verify.passed",
];

export interface RunView {
  id: string;
  status: string;
  state: string;
  currentStep: string | null;
  deploymentUrl: string | null;
  account: { id: string; claimUrl: string; expiresAt: number } | null;
  reportRef: string | null;
  outcome: unknown;
}
export interface GateView {
  kind: string;
  seq: number;
  status: string;
  decidedBy: string | null;
}
export interface EventView {
  step: string | null;
  type: string;
  actor: string | null;
  to: string | null;
  data: Record<string, unknown>;
}

export async function startRun(stack: LocalStack, job: string): Promise<string> {
  const started = await api<{ run: { id: string } }>(stack, `/api/jobs/${job}/runs`, { json: {} });
  if (started.status !== 201)
    throw new Error(`start ${job}: ${started.status} ${JSON.stringify(started.body)}`);
  return started.body.run.id;
}

export const runOf = async (stack: LocalStack, id: string) =>
  (await api<{ run: RunView; gates: GateView[] }>(stack, `/api/runs/${id}`)).body;

export const eventsOf = async (stack: LocalStack, id: string) =>
  (await api<{ events: EventView[] }>(stack, `/api/runs/${id}/events`)).body.events;

/** Polls until `probe` returns a value; the limit only turns a hang into a readable failure. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  limitMs = 90_000,
): Promise<T> {
  const end = Date.now() + limitMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`gave up waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}

/** Waits until the run stops moving on its own: at a gate (waiting) or finished. */
export function settled(stack: LocalStack, id: string) {
  return until(`run ${id} to wait or finish`, async () => {
    const view = await runOf(stack, id);
    return view.run.status === "waiting" || view.run.status === "final" ? view : undefined;
  });
}

/** Accounts created in the emulator: `POST /provisioning/previews` (not its `/challenge`). */
export function provisioned(stack: LocalStack) {
  return stack.emulator.requestLog
    .list({ path: "/provisioning/previews", method: "POST" })
    .filter((r) => !r.path.endsWith("/challenge"));
}
