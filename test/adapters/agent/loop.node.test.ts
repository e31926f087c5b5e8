/**
 * The whole loop with the OpenAI-compatible adapter: a real run Workflow under
 * `wrangler dev`, the real local Sandbox host, a scripted chat-completions
 * server, the real verifier running the job's check in the Sandbox. Round 1
 * writes a bug; the verifier's report goes back to the model, whose fix round
 * repairs it; the run reaches the claim gate. The deployer is the test fake
 * (see loop/worker.ts). Then `nightshift record` turns the run into a replay
 * session that the replay agent accepts.
 */
import { asIdempotencyKey } from "../../../src/ports/vocabulary.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReplayAgent } from "../../../src/adapters/agent/replay.ts";
import { sessionSchema } from "../../../src/ports/recorded-session.ts";
import { connect } from "../../../src/cli/client.ts";
import { clientGetter, collectSession } from "../../../src/cli/commands/record.ts";
import { type DevServer, startDevServer } from "../../../src/local/orchestrator/dev-server.ts";
import { FAKE_API_BASE } from "../../support/fakes/ports.ts";
import { type ScriptedServer, startScriptedModelServer } from "../../support/model-servers/scripted.ts";
import { freePort } from "../../local/sandbox-host/host-process.ts";
import { type LocalSandboxes, startLocalSandboxes } from "./local-sandbox.ts";
import { fixRepairsFromReport } from "./loop-script.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const PROJECT = "test/adapters/agent/loop/project";
const TOKEN = "test-token";

let dir: string;
let sandboxes: LocalSandboxes;
let model: ScriptedServer;
let server: DevServer | null = null;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nightshift-agent-loop-"));
  model = await startScriptedModelServer({ openai: fixRepairsFromReport, requireKey: "sk-loop" });
  sandboxes = await startLocalSandboxes("agent-loop", {
    readOnlyBinds: [{ source: join(ROOT, PROJECT), target: `/sources/${PROJECT}` }],
  });
  server = await startDevServer({
    cwd: ROOT,
    config: "test/adapters/agent/loop/wrangler.jsonc",
    port: await freePort(),
    persistTo: join(dir, "state"),
    stateDir: join(dir, "wrangler"),
    vars: {
      SANDBOX_HOST_URL: sandboxes.host.url,
      MODEL_BASE_URL: `${model.url}/v1`,
      OPENAI_API_KEY: "sk-loop",
    },
    secrets: { SANDBOX_HOST_SECRET: sandboxes.host.secret },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await model?.close();
  await sandboxes?.close();
  await rm(dir, { recursive: true, force: true });
});

async function call(path: string, init: { method?: string; json?: unknown } = {}) {
  const response = await fetch(`${server!.url}${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface RunView {
  state: string;
  status: string;
  budgets: { spent: { iterations: number; tokens: number; costUsd: number; deploys: number } } | null;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    const value = await probe().catch((e: unknown) => {
      last = e;
      return undefined;
    });
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what} (${String(last)})`);
}

describe("the loop with the OpenAI-compatible agent", () => {
  it("writes a bug, fixes it from the verification report, and waits at the claim gate", async () => {
    expect(
      (await call("/api/signoffs", { method: "POST", json: { apiBase: FAKE_API_BASE, by: "legal-1" } }))
        .status,
    ).toBe(201);
    const id = `agent-loop-${Date.now().toString(36)}`;
    expect((await call("/api/jobs/agent-loop/runs", { method: "POST", json: { id } })).status).toBe(201);

    const run = await until("the claim gate", async () => {
      const { body } = await call(`/api/runs/${id}`);
      const view = body.run as RunView;
      if (view.status === "final") throw new Error(`run ended ${view.state}: ${JSON.stringify(body)}`);
      return view.state === "awaitingClaim" ? view : undefined;
    });

    // Two rounds (write, fix), two deploys; the budget saw the scripted server's usage.
    expect(run.budgets?.spent).toMatchObject({ iterations: 2, deploys: 2, tokens: 4 * (900 + 60) });
    expect(run.budgets?.spent.costUsd).toBeCloseTo((4 * 900 * 0.4 + 4 * 60 * 1.6) / 1e6, 9);

    // The fix round's request carried the verifier's report: the failing check and its output.
    const fixRequest = model.requests.find((r) => JSON.stringify(r.body).includes("a fix"));
    expect(JSON.stringify(fixRequest?.body)).toContain('[FAIL] command \\"sum works\\"');
    expect(JSON.stringify(fixRequest?.body)).toContain("expected 5, got -1");

    // The Sandbox holds the fixed code.
    const files = await sandboxes.provider.get(id).readFile("/workspace/sum.mjs");
    expect(files).toContain("a + b");

    // The change as the approver sees it: the whole run's diff (the fix only, net of the bug) and each round's.
    const { body: diff } = await call(`/api/runs/${id}/diff`);
    const net = (diff.net as { diff: string }).diff;
    expect(net).toContain("+++ b/sum.mjs");
    expect(net).toContain("a + b");
    expect(net).not.toContain("a - b");
    const rounds = diff.rounds as { diff: string }[];
    expect(rounds).toHaveLength(2);
    expect(rounds[0]?.diff).toContain("+  return a - b;");

    // `nightshift record`: the run's rounds as a replay session.
    const session = await collectSession(clientGetter(await connect({ url: server!.url, token: TOKEN })), id);
    expect(sessionSchema.safeParse(session).success).toBe(true);
    expect(session).toMatchObject({
      version: 1,
      recordedFrom: expect.stringContaining("openai (gpt-4.1-mini)"),
      rounds: [
        {
          edits: [{ path: "sum.mjs", content: expect.stringContaining("a - b") }],
          usage: { tokensIn: 1800 },
        },
        {
          expectReport: "sum works",
          edits: [{ path: "sum.mjs", content: expect.stringContaining("a + b") }],
        },
      ],
    });

    // The replay agent plays it back offline in a fresh Sandbox, round by round.
    const replay = createReplayAgent();
    const fresh = await sandboxes.fresh({ "sum.mjs": "// empty\n" });
    const base = {
      runId: "replayed",
      instructions: "",
      options: { session },
      budgetLeft: { tokens: 1e6, costUsd: 10 },
      sandbox: fresh,
    };
    expect(
      (
        await replay.write({
          ...base,
          idempotencyKey: asIdempotencyKey("replayed:write#1"),
          round: 1,
          mode: "write",
          report: null,
        })
      ).ok,
    ).toBe(true);
    const report = JSON.stringify({ passed: false, checks: [{ name: "sum works", passed: false }] });
    expect(
      (
        await replay.write({
          ...base,
          idempotencyKey: asIdempotencyKey("replayed:fix#1"),
          round: 2,
          mode: "fix",
          report,
        })
      ).ok,
    ).toBe(true);
    expect(await fresh.readFile("/workspace/sum.mjs")).toContain("a + b");
  });
});
