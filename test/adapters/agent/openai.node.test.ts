/**
 * The OpenAI-compatible adapter against a scripted chat-completions server
 * (real HTTP, SSE streaming, tool calls split into fragments) and a real
 * local Sandbox: the tools really edit files and run commands.
 */
import { asIdempotencyKey } from "../../../src/ports/vocabulary.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentFor } from "../../../src/adapters/agent/index.ts";
import type { AgentRequest } from "../../../src/ports/agent.ts";
import type { Sandbox } from "../../../src/ports/sandbox.ts";
import {
  type Script,
  type ScriptedServer,
  startScriptedModelServer,
  toolResults,
} from "../../support/model-servers/scripted.ts";
import { type LocalSandboxes, startLocalSandboxes } from "./local-sandbox.ts";

let sandboxes: LocalSandboxes;
beforeAll(async () => {
  sandboxes = await startLocalSandboxes("agent-openai");
});
afterAll(async () => {
  await sandboxes?.close();
});

const servers: ScriptedServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});
async function server(script: Script) {
  const s = await startScriptedModelServer({ openai: script, requireKey: "sk-test-openai" });
  servers.push(s);
  return s;
}

function request(sandbox: Sandbox, over: Partial<AgentRequest> = {}): AgentRequest {
  return {
    idempotencyKey: asIdempotencyKey("run-1:write#1"),
    runId: "run-1",
    round: 1,
    mode: "write",
    instructions: "Add a sum function in sum.mjs.",
    options: {},
    report: null,
    budgetLeft: { tokens: 100_000, costUsd: 1 },
    sandbox,
    ...over,
  };
}

const delays: number[] = [];
const agent = (url: string, options: Record<string, unknown> = {}) =>
  agentFor(
    {
      adapter: "openai",
      instructions: "x",
      model: "gpt-4.1-mini",
      options: { baseUrl: `${url}/v1`, ...options },
    },
    { OPENAI_API_KEY: "sk-test-openai" },
    { http: { sleep: async (ms) => void delays.push(ms), random: () => 0.5 } },
  );

const writeSum: Script = (_body, i) =>
  i === 0
    ? {
        kind: "turn",
        text: "Writing the function.",
        toolCalls: [
          {
            id: "call_1",
            name: "write_file",
            input: { path: "lib/sum.mjs", content: "export const sum = (a, b) => a + b;\n" },
          },
          {
            id: "call_2",
            name: "run_command",
            input: { command: "node -e \"import('./lib/sum.mjs').then(m => console.log(m.sum(2, 3)))\"" },
          },
        ],
        usage: { in: 1200, out: 80 },
      }
    : { kind: "turn", text: "Added lib/sum.mjs; it prints 5.", usage: { in: 1500, out: 30 } };

describe("openai adapter", () => {
  it("runs the tool-call loop in the Sandbox and reports tokens and cost", async () => {
    const s = await server(writeSum);
    const sandbox = await sandboxes.fresh({ "README.md": "# demo\n" });
    const result = await agent(s.url).write(request(sandbox));
    expect(result).toMatchObject({
      ok: true,
      value: {
        summary: "Added lib/sum.mjs; it prints 5.",
        filesChanged: ["lib/sum.mjs"],
        usage: { tokensIn: 2700, tokensOut: 110 },
        replay: false,
      },
    });
    // gpt-4.1-mini: $0.40 in, $1.60 out per MTok.
    if (result.ok) expect(result.value.usage.costUsd).toBeCloseTo((2700 * 0.4 + 110 * 1.6) / 1e6, 9);
    expect(await sandbox.readFile("/workspace/lib/sum.mjs")).toContain("a + b");
    // The command ran in the Sandbox and its output went back to the model.
    expect(toolResults(s.requests[1]!.body).join("\n")).toMatch(/exit code 0[\s\S]*5/);
    // The request carried the key, the tools and the prompt template's constraints.
    expect(s.requests[0]!.headers.authorization).toBe("Bearer sk-test-openai");
    const first = s.requests[0]!.body as {
      tools: Array<{ function: { name: string } }>;
      messages: Array<{ content: string }>;
      stream: boolean;
    };
    expect(first.stream).toBe(true);
    expect(first.tools.map((t) => t.function.name)).toEqual([
      "list_files",
      "read_file",
      "write_file",
      "edit_file",
      "run_command",
    ]);
    expect(first.messages[0]!.content).toContain("must not");
    expect(first.messages[1]!.content).toContain("Add a sum function");
  });

  it("waits as long as a 429's retry-after says, then goes on", async () => {
    delays.length = 0;
    const s = await server((body, i) =>
      i === 0 ? { kind: "http-error", status: 429, headers: { "retry-after": "2" } } : writeSum(body, i - 1),
    );
    const result = await agent(s.url).write(request(await sandboxes.fresh()));
    expect(result.ok).toBe(true);
    expect(delays).toEqual([2000]);
    expect(s.requests).toHaveLength(3);
  });

  it("retries a malformed stream and a 503 with backoff", async () => {
    delays.length = 0;
    const s = await server((body, i) =>
      i === 0 ? { kind: "malformed" } : i === 1 ? { kind: "http-error", status: 503 } : writeSum(body, i - 2),
    );
    const result = await agent(s.url).write(request(await sandboxes.fresh()));
    expect(result.ok).toBe(true);
    // 500 ms, then 1000 ms, each scaled by the jitter factor (0.5 + 0.5 / 2).
    expect(delays).toEqual([375, 750]);
  });

  it("fails the round, with the usage so far, when the API refuses the request", async () => {
    const s = await server((body, i) =>
      i === 0
        ? writeSum(body, 0)
        : { kind: "http-error", status: 400, body: '{"error":{"message":"context too long"}}' },
    );
    const result = await agent(s.url).write(request(await sandboxes.fresh()));
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: "agent_failed",
        message: expect.stringContaining("HTTP 400"),
        usage: { tokensIn: 1200, tokensOut: 80 },
      },
    });
    expect(s.requests).toHaveLength(2);
  });

  it("refuses to start a call the budget left cannot cover", async () => {
    const s = await server(writeSum);
    const result = await agent(s.url).write(
      request(await sandboxes.fresh(), { budgetLeft: { tokens: 3_000, costUsd: 1 } }),
    );
    expect(result).toMatchObject({
      ok: false,
      error: { code: "budget_insufficient", usage: { tokensIn: 0 } },
    });
    expect(s.requests).toHaveLength(0);
  });

  it("stops at the step cap", async () => {
    const s = await server(() => ({
      kind: "turn",
      toolCalls: [{ id: "c", name: "list_files", input: { path: "." } }],
      usage: { in: 10, out: 5 },
    }));
    const result = await agent(s.url, { maxSteps: 3 }).write(request(await sandboxes.fresh()));
    expect(result).toMatchObject({ ok: true, value: { summary: expect.stringContaining("step cap (3") } });
    expect(s.requests).toHaveLength(3);
  });

  it("refuses forbidden commands inside the tool, whatever the model asks", async () => {
    const s = await server((_b, i) =>
      i === 0
        ? {
            kind: "turn",
            toolCalls: [
              { id: "c", name: "run_command", input: { command: "npx wrangler deploy --temporary" } },
            ],
          }
        : { kind: "turn", text: "ok" },
    );
    await agent(s.url).write(request(await sandboxes.fresh()));
    expect(toolResults(s.requests[1]!.body)[0]).toMatch(/^error: refused: deploying is the loop's job/);
  });

  it("speaks non-streaming chat completions too (local model servers)", async () => {
    const s = await server(writeSum);
    const result = await agent(s.url, { stream: false }).write(request(await sandboxes.fresh()));
    expect(result).toMatchObject({
      ok: true,
      value: { filesChanged: ["lib/sum.mjs"], usage: { tokensIn: 2700 } },
    });
    expect(s.requests[0]!.body.stream).toBe(false);
  });

  it("puts the failing checks of the last report in a fix round's prompt", async () => {
    const s = await server((_b, i) => ({ kind: "turn", text: `done ${i}` }));
    const report = JSON.stringify({
      passed: false,
      url: "https://x.workers.dev",
      checks: [
        { name: "home", kind: "probe", passed: true, expected: "200", actual: "200", excerpt: "" },
        {
          name: "sum works",
          kind: "command",
          passed: false,
          expected: "exit 0",
          actual: "exit 1",
          excerpt: "expected 5, got -1",
        },
      ],
    });
    await agent(s.url).write(request(await sandboxes.fresh(), { mode: "fix", round: 2, report }));
    const user = (s.requests[0]!.body.messages as Array<{ content: string }>)[1]!.content;
    expect(user).toContain('[FAIL] command "sum works"');
    expect(user).toContain("expected 5, got -1");
    expect(user).toContain("round 2: a fix");
  });
});
