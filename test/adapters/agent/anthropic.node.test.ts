/**
 * The Anthropic Messages adapter against a scripted server speaking the real
 * stream (message_start … input_json_delta … message_stop) and a real local
 * Sandbox.
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
} from "../../support/model-servers/scripted.ts";
import { type LocalSandboxes, startLocalSandboxes } from "./local-sandbox.ts";

let sandboxes: LocalSandboxes;
const servers: ScriptedServer[] = [];
beforeAll(async () => {
  sandboxes = await startLocalSandboxes("agent-anthropic");
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await sandboxes?.close();
});

async function server(script: Script) {
  const s = await startScriptedModelServer({ anthropic: script, requireKey: "sk-ant-test" });
  servers.push(s);
  return s;
}

const request = (sandbox: Sandbox, over: Partial<AgentRequest> = {}): AgentRequest => ({
  idempotencyKey: asIdempotencyKey("run-a:write#1"),
  runId: "run-a",
  round: 1,
  mode: "write",
  instructions: "Fix the greeting.",
  options: {},
  report: null,
  budgetLeft: { tokens: 500_000, costUsd: 5 },
  sandbox,
  ...over,
});

const delays: number[] = [];
const agent = (url: string, key = "sk-ant-test") =>
  agentFor(
    { adapter: "anthropic", instructions: "x", model: "claude-sonnet-4-5", options: { baseUrl: url } },
    { ANTHROPIC_API_KEY: key },
    { http: { sleep: async (ms) => void delays.push(ms), random: () => 0.5 } },
  );

const editGreeting: Script = (body, i) => {
  if (i === 0)
    return {
      kind: "turn",
      text: "Let me look.",
      toolCalls: [{ id: "toolu_01", name: "read_file", input: { path: "greet.txt" } }],
      usage: { in: 900, out: 40 },
    };
  if (i === 1) {
    // The tool result came back as a user message with a tool_result block.
    const last = (
      body.messages as Array<{ role: string; content: Array<{ type: string; content?: string }> }>
    ).at(-1)!;
    const seen = last.content.find((b) => b.type === "tool_result")?.content ?? "";
    return {
      kind: "turn",
      toolCalls: [
        {
          id: "toolu_02",
          name: "edit_file",
          input: { path: "greet.txt", old_text: seen.trim(), new_text: "hello, world" },
        },
      ],
      usage: { in: 1000, out: 60 },
    };
  }
  return { kind: "turn", text: "Greeting fixed.", usage: { in: 1100, out: 10 } };
};

describe("anthropic adapter", () => {
  it("runs tool use from a streamed Messages reply and prices the usage", async () => {
    const s = await server(editGreeting);
    const sandbox = await sandboxes.fresh({ "greet.txt": "helo wrld\n" });
    const result = await agent(s.url).write(request(sandbox));
    expect(result).toMatchObject({
      ok: true,
      value: {
        summary: "Greeting fixed.",
        filesChanged: ["greet.txt"],
        usage: { tokensIn: 3000, tokensOut: 110 },
      },
    });
    // claude-sonnet-4: $3 in, $15 out per MTok.
    if (result.ok) expect(result.value.usage.costUsd).toBeCloseTo((3000 * 3 + 110 * 15) / 1e6, 9);
    expect(await sandbox.readFile("/workspace/greet.txt")).toBe("hello, world\n");
    const first = s.requests[0]!;
    expect(first.headers["anthropic-version"]).toBe("2023-06-01");
    expect(first.headers["x-api-key"]).toBe("sk-ant-test");
    const body = first.body as {
      system: string;
      stream: boolean;
      tools: Array<{ name: string; input_schema: object }>;
    };
    expect(body.stream).toBe(true);
    expect(body.system).toContain("accept terms of service");
    expect(body.tools[0]).toMatchObject({ name: "list_files", input_schema: { type: "object" } });
  });

  it("retries an overloaded_error event and a 429 with retry-after", async () => {
    delays.length = 0;
    const s = await server((body, i) =>
      i === 0
        ? { kind: "stream-error", type: "overloaded_error", message: "Overloaded" }
        : i === 1
          ? {
              kind: "http-error",
              status: 429,
              headers: { "retry-after": "3" },
              body: '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}',
            }
          : editGreeting(body, i - 2),
    );
    const result = await agent(s.url).write(request(await sandboxes.fresh({ "greet.txt": "helo\n" })));
    expect(result.ok).toBe(true);
    expect(delays).toEqual([375, 3000]);
  });

  it("gives up at once on a 401, naming the status", async () => {
    const s = await server(editGreeting);
    const result = await agent(s.url, "sk-wrong").write(request(await sandboxes.fresh()));
    expect(result).toMatchObject({
      ok: false,
      error: { code: "agent_failed", message: expect.stringContaining("HTTP 401") },
    });
    expect(s.requests).toHaveLength(1);
  });

  it("gives up after the last attempt of a stream that stays malformed", async () => {
    delays.length = 0;
    const s = await server(() => ({ kind: "malformed" }));
    const result = await agent(s.url).write(request(await sandboxes.fresh()));
    expect(result).toMatchObject({
      ok: false,
      error: { code: "agent_failed", message: expect.stringContaining("malformed") },
    });
    expect(s.requests).toHaveLength(5);
  });

  it("refuses to run without its key in the orchestrator's secrets", async () => {
    const result = await agentFor({ adapter: "anthropic", instructions: "x", options: {} }, {}).write(
      request(await sandboxes.fresh()),
    );
    expect(result).toMatchObject({
      ok: false,
      error: { code: "refused", message: expect.stringContaining("ANTHROPIC_API_KEY") },
    });
  });
});
