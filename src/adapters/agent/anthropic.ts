/**
 * An Anthropic Messages API client (`POST {baseUrl}/v1/messages`) with tool use
 * and SSE streaming. Request rendering and the stream accumulator are pure and
 * exported for tests; `anthropicClient` does the I/O. Runs in the Worker.
 *
 * Stream events: `message_start` (input tokens), `content_block_start`
 * (`text` or `tool_use` with id and name), `content_block_delta`
 * (`text_delta` or `input_json_delta` with a piece of the tool input's JSON),
 * `content_block_stop`, `message_delta` (stop_reason, output tokens),
 * `message_stop`; `ping` anywhere; `error` (e.g. `overloaded_error`) ends it.
 */
import { z } from "zod";
import type { Conversation, ModelTurn, ToolCall } from "./conversation.ts";
import type { ModelClient } from "./llm-agent.ts";
import {
  callWithRetries,
  isTokenCount,
  type ModelHttpOptions,
  ModelProtocolError,
  parseJson,
} from "./model-http.ts";
import { readSse } from "./sse.ts";
import type { ToolDefinition } from "./tools.ts";

export const ANTHROPIC_VERSION = "2023-06-01";

export interface AnthropicSettings {
  baseUrl: string;
  apiKey: string | null;
  model: string;
  http?: ModelHttpOptions;
}

type Block =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "tool_result"; tool_use_id: string; content: string; is_error?: boolean };

/** Pure: the request body. Tool results go in a user message; consecutive user content merges. */
export function anthropicRequestBody(
  conversation: Conversation,
  tools: readonly ToolDefinition[],
  opts: { model: string; maxOutputTokens: number },
): Record<string, unknown> {
  const messages: Array<{ role: "user" | "assistant"; content: Block[] }> = [];
  const pushUser = (block: Block) => {
    const last = messages.at(-1);
    if (last?.role === "user") last.content.push(block);
    else messages.push({ role: "user", content: [block] });
  };
  for (const m of conversation.messages) {
    if (m.role === "user") pushUser({ type: "text", text: m.text });
    else if (m.role === "tool")
      pushUser({
        type: "tool_result",
        tool_use_id: m.callId,
        content: m.output,
        ...(m.output.startsWith("error:") ? { is_error: true } : {}),
      });
    else {
      const content: Block[] = [];
      if (m.text) content.push({ type: "text", text: m.text });
      for (const c of m.toolCalls) content.push({ type: "tool_use", id: c.id, name: c.name, input: c.input });
      messages.push({ role: "assistant", content });
    }
  }
  return {
    model: opts.model,
    max_tokens: opts.maxOutputTokens,
    system: conversation.system,
    messages,
    tools: tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters })),
    stream: true,
  };
}

const eventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("message_start"),
    message: z.object({
      usage: z.object({ input_tokens: z.number(), output_tokens: z.number().optional() }),
    }),
  }),
  z.object({
    type: z.literal("content_block_start"),
    index: z.number(),
    content_block: z.union([
      z.object({ type: z.literal("text"), text: z.string() }),
      z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string() }),
      z.object({ type: z.string() }),
    ]),
  }),
  z.object({
    type: z.literal("content_block_delta"),
    index: z.number(),
    delta: z.union([
      z.object({ type: z.literal("text_delta"), text: z.string() }),
      z.object({ type: z.literal("input_json_delta"), partial_json: z.string() }),
      z.object({ type: z.string() }),
    ]),
  }),
  z.object({ type: z.literal("content_block_stop"), index: z.number() }),
  z.object({
    type: z.literal("message_delta"),
    delta: z.object({ stop_reason: z.string().nullish() }),
    usage: z.object({ output_tokens: z.number(), input_tokens: z.number().nullish() }).optional(),
  }),
  z.object({ type: z.literal("message_stop") }),
  z.object({ type: z.literal("ping") }),
  z.object({ type: z.literal("error"), error: z.object({ type: z.string(), message: z.string() }) }),
]);

/** Error types worth sending the request again for. */
const RETRYABLE_STREAM_ERRORS = new Set(["overloaded_error", "api_error", "rate_limit_error"]);

/** Pure: accumulates stream events into one turn. */
export class AnthropicStreamAccumulator {
  private blocks = new Map<
    number,
    { kind: "text" | "tool_use" | "other"; id: string; name: string; buf: string }
  >();
  private inputTokens = 0;
  private outputTokens = 0;
  private stopReason: string | null = null;
  private stopped = false;
  private started = false;

  push(data: string): void {
    const parsed = eventSchema.safeParse(parseJson(data, "a Messages stream event"));
    if (!parsed.success) throw new ModelProtocolError(`unexpected Messages event: ${data.slice(0, 200)}`);
    const e = parsed.data;
    switch (e.type) {
      case "message_start":
        this.started = true;
        this.inputTokens = e.message.usage.input_tokens;
        this.outputTokens = e.message.usage.output_tokens ?? 0;
        return;
      case "content_block_start": {
        const b = e.content_block as { type: string; text?: string; id?: string; name?: string };
        const kind = b.type === "text" ? "text" : b.type === "tool_use" ? "tool_use" : "other";
        this.blocks.set(e.index, { kind, id: b.id ?? "", name: b.name ?? "", buf: b.text ?? "" });
        return;
      }
      case "content_block_delta": {
        const block = this.blocks.get(e.index);
        if (!block) throw new ModelProtocolError(`a delta for block ${e.index}, which never started`);
        const d = e.delta as { type: string; text?: string; partial_json?: string };
        if (d.type === "text_delta") block.buf += d.text ?? "";
        else if (d.type === "input_json_delta") block.buf += d.partial_json ?? "";
        return;
      }
      case "message_delta":
        if (e.delta.stop_reason) this.stopReason = e.delta.stop_reason;
        if (e.usage) {
          this.outputTokens = e.usage.output_tokens;
          if (e.usage.input_tokens) this.inputTokens = e.usage.input_tokens;
        }
        return;
      case "message_stop":
        this.stopped = true;
        return;
      case "error":
        throw new ModelProtocolError(
          `${e.error.type}: ${e.error.message}`,
          RETRYABLE_STREAM_ERRORS.has(e.error.type),
        );
      default:
        return;
    }
  }

  result(): ModelTurn & { usageReported: boolean } {
    if (!this.started || !this.stopped) throw new ModelProtocolError("the stream ended before message_stop");
    let text = "";
    const toolCalls: ToolCall[] = [];
    for (const [, b] of [...this.blocks.entries()].sort(([a], [b]) => a - b)) {
      if (b.kind === "text") text += b.buf;
      else if (b.kind === "tool_use") {
        let input: unknown = {};
        if (b.buf.trim()) {
          try {
            input = JSON.parse(b.buf);
          } catch {
            input = { __unparsed: b.buf };
          }
        }
        toolCalls.push({ id: b.id, name: b.name, input });
      }
    }
    const stop =
      this.stopReason === "tool_use"
        ? "tool_use"
        : this.stopReason === "end_turn" || this.stopReason === "stop_sequence"
          ? "end"
          : this.stopReason === "max_tokens"
            ? "max_tokens"
            : "other";
    return {
      text,
      toolCalls,
      stop: toolCalls.length ? "tool_use" : stop,
      // Counts that cannot be true (negative, fractional) read as no report: charged by estimate.
      ...(isTokenCount(this.inputTokens) && isTokenCount(this.outputTokens)
        ? { usage: { tokensIn: this.inputTokens, tokensOut: this.outputTokens }, usageReported: true }
        : { usage: { tokensIn: 0, tokensOut: 0 }, usageReported: false }),
    };
  }
}

export function anthropicClient(settings: AnthropicSettings): ModelClient {
  const url = `${settings.baseUrl.replace(/\/+$/, "")}/v1/messages`;
  return {
    provider: "anthropic",
    model: settings.model,
    async complete(conversation, tools, opts) {
      const body = anthropicRequestBody(conversation, tools, {
        model: settings.model,
        maxOutputTokens: opts.maxOutputTokens,
      });
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "anthropic-version": ANTHROPIC_VERSION,
      };
      if (settings.apiKey) headers["x-api-key"] = settings.apiKey;
      return callWithRetries(
        url,
        { method: "POST", headers, body: JSON.stringify(body) },
        async (response) => {
          if (!response.body) throw new ModelProtocolError("a streamed reply without a body");
          const acc = new AnthropicStreamAccumulator();
          for await (const event of readSse(response.body)) acc.push(event.data);
          return acc.result();
        },
        settings.http,
      );
    },
  };
}
