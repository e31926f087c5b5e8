/**
 * The pure parts of the agent adapters, run in workerd: retry decisions,
 * prices and the budget check, the SSE parser, both stream accumulators,
 * context summarising, prompt rendering, the credential rewrite of the egress
 * path, forbidden commands, and the workspace change list.
 */
import { describe, expect, it } from "vitest";
import { AnthropicStreamAccumulator } from "../../../src/adapters/agent/anthropic.ts";
import {
  type Conversation,
  conversationTokens,
  fitToWindow,
} from "../../../src/adapters/agent/conversation.ts";
import { PLACEHOLDER_KEY, routeForPath, withCredential } from "../../../src/ports/egress-routes.ts";
import { throughEgressProxy } from "../../../src/adapters/agent/index.ts";
import { ModelProtocolError } from "../../../src/adapters/agent/model-http.ts";
import { OpenAiStreamAccumulator } from "../../../src/adapters/agent/openai.ts";
import { callFits, costOf, priceOf } from "../../../src/adapters/agent/prices.ts";
import { render, renderReport } from "../../../src/adapters/agent/prompts/render.ts";
import { failingCheckOf, installCommandsFor } from "../../../src/adapters/agent/recording.ts";
import { retryAfterMs, retryDecision } from "../../../src/adapters/agent/retry.ts";
import { SseParser } from "../../../src/adapters/agent/sse.ts";
import { forbiddenCommand } from "../../../src/adapters/agent/tools.ts";
import { changesFrom } from "../../../src/adapters/agent/workspace-diff.ts";

describe("retry decisions", () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  it("reads retry-after as seconds, as an HTTP date, and retry-after-ms first", () => {
    expect(retryAfterMs(headers({ "retry-after": "7" }), 0)).toBe(7000);
    expect(retryAfterMs(headers({ "retry-after": "Thu, 01 Jan 1970 00:00:30 GMT" }), 10_000)).toBe(20_000);
    expect(retryAfterMs(headers({ "retry-after": "7", "retry-after-ms": "250" }), 0)).toBe(250);
    expect(retryAfterMs(headers({}), 0)).toBeNull();
  });
  it("retries 429, 5xx and network faults; fails 4xx at once; honours retry-after; gives up at the cap", () => {
    expect(retryDecision({ attempt: 1, status: 429, retryAfterMs: 2000 })).toMatchObject({
      retry: true,
      delayMs: 2000,
    });
    expect(retryDecision({ attempt: 2, status: 503, retryAfterMs: null, jitter: 0 })).toMatchObject({
      retry: true,
      delayMs: 500,
    });
    expect(retryDecision({ attempt: 1, status: null, retryAfterMs: null, jitter: 0.999 })).toMatchObject({
      retry: true,
    });
    expect(retryDecision({ attempt: 1, status: 401, retryAfterMs: null })).toMatchObject({ retry: false });
    expect(retryDecision({ attempt: 5, status: 500, retryAfterMs: null })).toMatchObject({ retry: false });
    expect(retryDecision({ attempt: 1, status: 429, retryAfterMs: 3_600_000 })).toMatchObject({
      retry: false,
    });
  });
});

describe("prices and the budget check", () => {
  it("finds a model by exact name or longest prefix", () => {
    expect(priceOf("gpt-4.1-mini-2025-04-14")).toEqual({ inputPerMTok: 0.4, outputPerMTok: 1.6 });
    expect(priceOf("gpt-4.1-2025-04-14")).toEqual({ inputPerMTok: 2, outputPerMTok: 8 });
    expect(priceOf("@cf/meta/llama-3.1-8b-instruct")).toEqual({ inputPerMTok: 0, outputPerMTok: 0 });
    expect(priceOf("mystery-model")).toBeNull();
    expect(costOf({ inputPerMTok: 3, outputPerMTok: 15 }, 1_000_000, 100_000)).toBe(4.5);
  });
  it("refuses a call whose prompt plus maximum reply would overrun tokens or dollars", () => {
    const price = { inputPerMTok: 3, outputPerMTok: 15 };
    expect(
      callFits({ promptTokens: 1000, maxOutputTokens: 1000, price, budgetLeft: { tokens: 1999, costUsd: 1 } })
        .ok,
    ).toBe(false);
    expect(
      callFits({
        promptTokens: 1000,
        maxOutputTokens: 1000,
        price,
        budgetLeft: { tokens: 2000, costUsd: 0.017 },
      }).ok,
    ).toBe(false);
    expect(
      callFits({
        promptTokens: 1000,
        maxOutputTokens: 1000,
        price,
        budgetLeft: { tokens: 2000, costUsd: 0.018 },
      }).ok,
    ).toBe(true);
  });
});

describe("SSE parser", () => {
  it("joins events split anywhere, CRLF included, skips comments and keeps event names", () => {
    const p = new SseParser();
    const text = ': keep-alive\r\nevent: ping\r\ndata: {"a":\r\n\r\ndata: line1\ndata: line2\n\ndata: last';
    const events = [];
    for (let i = 0; i < text.length; i += 3) events.push(...p.push(text.slice(i, i + 3)));
    events.push(...p.end());
    expect(events).toEqual([
      { event: "ping", data: '{"a":' },
      { event: null, data: "line1\nline2" },
      { event: null, data: "last" },
    ]);
  });
});

describe("stream accumulators", () => {
  it("OpenAI: text and tool-call fragments by index, usage from the last chunk", () => {
    const acc = new OpenAiStreamAccumulator();
    const chunk = (delta: object, finish: string | null = null) =>
      JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] });
    acc.push(chunk({ role: "assistant", content: "Hi" }));
    acc.push(
      chunk({
        tool_calls: [
          { index: 0, id: "call_a", type: "function", function: { name: "read_file", arguments: '{"pa' } },
        ],
      }),
    );
    acc.push(chunk({ tool_calls: [{ index: 0, function: { arguments: 'th":"x"}' } }] }));
    acc.push(chunk({}, "tool_calls"));
    acc.push(JSON.stringify({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 7 } }));
    acc.push("[DONE]");
    expect(acc.result()).toMatchObject({
      text: "Hi",
      toolCalls: [{ id: "call_a", name: "read_file", input: { path: "x" } }],
      stop: "tool_use",
      usage: { tokensIn: 11, tokensOut: 7 },
    });
  });
  it("OpenAI: a truncated stream or an error payload is a protocol error", () => {
    const acc = new OpenAiStreamAccumulator();
    acc.push(JSON.stringify({ choices: [{ delta: { content: "x" } }] }));
    expect(() => acc.result()).toThrow(ModelProtocolError);
    expect(() => new OpenAiStreamAccumulator().push('{"error":{"message":"boom"}}')).toThrow(/boom/);
    expect(() => new OpenAiStreamAccumulator().push('{"choices":[{"delta":{"content":"hal')).toThrow(
      /malformed/,
    );
  });
  it("Anthropic: input_json_delta pieces make the tool input; usage from start and delta", () => {
    const acc = new AnthropicStreamAccumulator();
    for (const e of [
      { type: "message_start", message: { usage: { input_tokens: 50, output_tokens: 1 } } },
      {
        type: "content_block_start",
        index: 0,
        content_block: { type: "tool_use", id: "toolu_1", name: "write_file", input: {} },
      },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: '{"path": "a' },
      },
      { type: "ping" },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: '.txt", "content": "hi"}' },
      },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 30 } },
      { type: "message_stop" },
    ])
      acc.push(JSON.stringify(e));
    expect(acc.result()).toMatchObject({
      toolCalls: [{ id: "toolu_1", name: "write_file", input: { path: "a.txt", content: "hi" } }],
      usage: { tokensIn: 50, tokensOut: 30 },
    });
  });
  it("Anthropic: an overloaded_error event is retryable, an invalid_request_error is not", () => {
    const event = (type: string) => JSON.stringify({ type: "error", error: { type, message: "m" } });
    expect(() => new AnthropicStreamAccumulator().push(event("overloaded_error"))).toThrow(
      expect.objectContaining({ retryable: true }),
    );
    expect(() => new AnthropicStreamAccumulator().push(event("invalid_request_error"))).toThrow(
      expect.objectContaining({ retryable: false }),
    );
  });
});

describe("context window", () => {
  it("summarises the oldest tool outputs first and keeps the newest two", () => {
    const big = "x".repeat(4000);
    const conversation: Conversation = {
      system: "s",
      messages: [
        { role: "user", text: "task" },
        ...[1, 2, 3, 4].flatMap((i) => [
          {
            role: "assistant" as const,
            text: "",
            toolCalls: [{ id: `c${i}`, name: "read_file", input: { path: `f${i}` } }],
          },
          { role: "tool" as const, callId: `c${i}`, name: "read_file", output: `file ${i}\n${big}` },
        ]),
      ],
    };
    const before = conversationTokens(conversation);
    const { conversation: fitted, summarised } = fitToWindow(conversation, before - 1500);
    expect(summarised).toBe(2);
    const outputs = fitted.messages.flatMap((m) => (m.role === "tool" ? [m.output] : []));
    expect(outputs[0]).toMatch(/^\[earlier output of read_file summarised.*first line: file 1\]$/);
    expect(outputs[2]).toContain(big);
    expect(conversationTokens(fitted)).toBeLessThanOrEqual(before - 1500);
    // Never the two newest, even when the window is hopeless.
    expect(fitToWindow(conversation, 10).summarised).toBe(2);
  });
});

describe("prompts", () => {
  it("fills every placeholder and refuses a template with a hole", () => {
    expect(render("a {{x}} b", { x: "1" })).toBe("a 1 b");
    expect(() => render("{{missing}}", {})).toThrow(/missing/);
  });
  it("renders a verifier report failing checks first, and passes other text through", () => {
    const text = renderReport(
      JSON.stringify({
        passed: false,
        url: "u",
        checks: [
          { name: "ok", kind: "probe", passed: true },
          { name: "bad", kind: "probe", passed: false, expected: "200", actual: "500", excerpt: "boom" },
        ],
      }),
    );
    expect(text.split("\n").slice(1, 3)).toEqual(['- [FAIL] probe "bad"', "  expected: 200"]);
    expect(renderReport("wrangler: build failed")).toBe("wrangler: build failed");
    expect(
      failingCheckOf(
        JSON.stringify({
          checks: [
            { name: "ok", passed: true },
            { name: "bad", passed: false },
          ],
        }),
      ),
    ).toBe("bad");
  });
});

describe("egress credentials", () => {
  it("drops whatever credential the Sandbox sent and adds the real one", () => {
    const out = withCredential(
      [
        ["Authorization", "Bearer placeholder"],
        ["x-api-key", "placeholder"],
        ["content-type", "application/json"],
      ],
      { header: "x-api-key" },
      "sk-real",
    );
    expect(out).toEqual([
      ["content-type", "application/json"],
      ["x-api-key", "sk-real"],
    ]);
    expect(withCredential([], { header: "authorization" }, "k")).toEqual([["authorization", "Bearer k"]]);
    expect(routeForPath("/anthropic/v1/messages")).toMatchObject({
      route: { name: "anthropic" },
      rest: "/v1/messages",
    });
    expect(routeForPath("/elsewhere/x")).toBeNull();
  });

  it("sends a Worker-side adapter without its own key through the local proxy's matching route", () => {
    const proxy = "http://127.0.0.1:8790/";
    expect(throughEgressProxy("https://api.openai.com/v1", "OPENAI_API_KEY", proxy)).toEqual({
      baseUrl: "http://127.0.0.1:8790/openai/v1",
      apiKey: PLACEHOLDER_KEY,
    });
    expect(throughEgressProxy("https://api.anthropic.com", "ANTHROPIC_API_KEY", proxy)).toEqual({
      baseUrl: "http://127.0.0.1:8790/anthropic",
      apiKey: PLACEHOLDER_KEY,
    });
    // No proxy (production), no key wanted, another server, or a key the route does not add: unchanged.
    expect(throughEgressProxy("https://api.openai.com/v1", "OPENAI_API_KEY", undefined)).toBeNull();
    expect(throughEgressProxy("https://api.openai.com/v1", null, proxy)).toBeNull();
    expect(throughEgressProxy("http://127.0.0.1:11434/v1", "OPENAI_API_KEY", proxy)).toBeNull();
    expect(throughEgressProxy("https://api.openai.com/v1", "MY_OTHER_KEY", proxy)).toBeNull();
  });
});

describe("tool guard and workspace changes", () => {
  it("refuses deploys, temporary accounts, DNS and terms acceptance", () => {
    expect(forbiddenCommand("npx wrangler deploy")).toMatch(/deploy step|loop's job/);
    expect(forbiddenCommand("wrangler versions deploy")).not.toBeNull();
    expect(forbiddenCommand("npx wrangler deploy --dry-run --temporary")).not.toBeNull();
    expect(forbiddenCommand("npm test && npx tsc --noEmit")).toBeNull();
    expect(forbiddenCommand("wrangler dev")).toBeNull();
  });
  it("lists added, modified and deleted files from the listings and diff -rqN", () => {
    const changes = changesFrom(
      "./a.txt\n./gone.txt\n./same.txt\n",
      "./a.txt\n./new/b.txt\n./same.txt\n",
      "Files /tmp/b/a.txt and /workspace/a.txt differ\nFiles /tmp/b/gone.txt and /workspace/gone.txt differ\nFiles /tmp/b/new/b.txt and /workspace/new/b.txt differ\n",
      "/tmp/b",
    );
    expect(changes).toEqual([
      { path: "a.txt", kind: "modified" },
      { path: "gone.txt", kind: "deleted" },
      { path: "new/b.txt", kind: "added" },
    ]);
    expect(installCommandsFor(changes)).toEqual([]);
    expect(installCommandsFor([{ path: "package.json", kind: "modified" }])).toEqual(["npm install"]);
  });
});
