/**
 * An OpenAI-compatible chat-completions client (`POST {baseUrl}/chat/completions`)
 * with tool calls and SSE streaming. Covers OpenAI, Workers AI's
 * OpenAI-compatible endpoint and local model servers (llama.cpp, vLLM, Ollama).
 * Request rendering and the stream accumulator are pure and exported for tests;
 * `openaiClient` does the I/O. Runs in the Worker: the key never leaves it.
 *
 * Stream shape: `data: {choices:[{delta:{content, tool_calls:[{index, id,
 * function:{name, arguments}}]}, finish_reason}]}` chunks, a last chunk with
 * `usage` and no choices (asked for with `stream_options.include_usage`), then
 * `data: [DONE]`. An `{error}` payload mid-stream is a protocol error.
 */
import { z } from "zod";
import type { Conversation, ModelTurn, ToolCall } from "./conversation.ts";
import {
  callWithRetries,
  isTokenCount,
  type ModelHttpOptions,
  ModelProtocolError,
  parseJson,
} from "./model-http.ts";
import type { ModelClient } from "./llm-agent.ts";
import { readSse } from "./sse.ts";
import type { ToolDefinition } from "./tools.ts";

export interface OpenAiSettings {
  baseUrl: string;
  apiKey: string | null;
  model: string;
  stream: boolean;
  /** Extra headers (e.g. `OpenAI-Organization`). */
  headers?: Record<string, string>;
  http?: ModelHttpOptions;
}

/** Pure: the request body for a conversation. */
export function openaiRequestBody(
  conversation: Conversation,
  tools: readonly ToolDefinition[],
  opts: { model: string; maxOutputTokens: number; stream: boolean },
): Record<string, unknown> {
  const messages: unknown[] = [{ role: "system", content: conversation.system }];
  for (const m of conversation.messages) {
    if (m.role === "user") messages.push({ role: "user", content: m.text });
    else if (m.role === "tool") messages.push({ role: "tool", tool_call_id: m.callId, content: m.output });
    else
      messages.push({
        role: "assistant",
        content: m.text || null,
        ...(m.toolCalls.length
          ? {
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: "function",
                function: { name: c.name, arguments: JSON.stringify(c.input) },
              })),
            }
          : {}),
      });
  }
  return {
    model: opts.model,
    messages,
    tools: tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.parameters },
    })),
    tool_choice: "auto",
    max_tokens: opts.maxOutputTokens,
    stream: opts.stream,
    ...(opts.stream ? { stream_options: { include_usage: true } } : {}),
  };
}

// Usage that is not two believable counts reads as none (charged by estimate), not as a bad reply.
const tokenCount = z.custom<number>(isTokenCount);
const usageSchema = z
  .object({ prompt_tokens: tokenCount, completion_tokens: tokenCount })
  .nullish()
  .catch(null);
const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        index: z.number().optional(),
        delta: z
          .object({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number(),
                  id: z.string().nullish(),
                  function: z
                    .object({ name: z.string().nullish(), arguments: z.string().nullish() })
                    .nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .default([]),
  usage: usageSchema,
});

/** Pure: accumulates streamed chunks into one turn. */
export class OpenAiStreamAccumulator {
  private text = "";
  private calls = new Map<number, { id: string; name: string; args: string }>();
  private finish: string | null = null;
  private usage: { tokensIn: number; tokensOut: number } | null = null;
  private done = false;

  /** One SSE `data` payload. */
  push(data: string): void {
    if (data.trim() === "[DONE]") {
      this.done = true;
      return;
    }
    const json = parseJson(data, "a chat.completion.chunk") as { error?: { message?: string } };
    if (json && typeof json === "object" && "error" in json && json.error)
      throw new ModelProtocolError(
        `error event in the stream: ${json.error.message ?? JSON.stringify(json.error)}`,
      );
    const chunk = chunkSchema.safeParse(json);
    if (!chunk.success) throw new ModelProtocolError(`unexpected chunk shape: ${data.slice(0, 200)}`);
    if (chunk.data.usage)
      this.usage = {
        tokensIn: chunk.data.usage.prompt_tokens,
        tokensOut: chunk.data.usage.completion_tokens,
      };
    for (const choice of chunk.data.choices) {
      if (choice.delta?.content) this.text += choice.delta.content;
      for (const tc of choice.delta?.tool_calls ?? []) {
        const call = this.calls.get(tc.index) ?? { id: "", name: "", args: "" };
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.name += tc.function.name;
        if (tc.function?.arguments) call.args += tc.function.arguments;
        this.calls.set(tc.index, call);
      }
      if (choice.finish_reason) this.finish = choice.finish_reason;
    }
  }

  /** The whole turn; the stream must have ended properly (`[DONE]` or a finish reason). */
  result(): ModelTurn & { usageReported: boolean } {
    if (!this.done && this.finish === null)
      throw new ModelProtocolError("the stream ended before the reply did");
    const toolCalls: ToolCall[] = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({ id: c.id || `call_${index}`, name: c.name, input: parseArguments(c.args) }));
    return {
      text: this.text,
      toolCalls,
      stop: toolCalls.length
        ? "tool_use"
        : this.finish === "length"
          ? "max_tokens"
          : this.finish === "stop"
            ? "end"
            : "other",
      usage: this.usage ?? { tokensIn: 0, tokensOut: 0 },
      usageReported: this.usage !== null,
    };
  }
}

/** Tool arguments arrive as a JSON string; a malformed one is handed to the tool as is (it reports the error). */
function parseArguments(args: string): unknown {
  if (args.trim() === "") return {};
  try {
    return JSON.parse(args);
  } catch {
    return { __unparsed: args };
  }
}

const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({ id: z.string(), function: z.object({ name: z.string(), arguments: z.string() }) }),
            )
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageSchema,
});

/** Pure: a non-streamed `chat.completion` as a turn. */
export function openaiCompletionTurn(json: unknown): ModelTurn & { usageReported: boolean } {
  const parsed = completionSchema.safeParse(json);
  if (!parsed.success)
    throw new ModelProtocolError(`unexpected chat.completion shape: ${JSON.stringify(json).slice(0, 200)}`);
  const choice = parsed.data.choices[0]!;
  const toolCalls = (choice.message.tool_calls ?? []).map((c) => ({
    id: c.id,
    name: c.function.name,
    input: parseArguments(c.function.arguments),
  }));
  const usage = parsed.data.usage;
  return {
    text: choice.message.content ?? "",
    toolCalls,
    stop: toolCalls.length ? "tool_use" : choice.finish_reason === "length" ? "max_tokens" : "end",
    usage: usage
      ? { tokensIn: usage.prompt_tokens, tokensOut: usage.completion_tokens }
      : { tokensIn: 0, tokensOut: 0 },
    usageReported: !!usage,
  };
}

export function openaiClient(settings: OpenAiSettings): ModelClient {
  const url = `${settings.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  return {
    provider: "openai",
    model: settings.model,
    async complete(conversation, tools, opts) {
      const body = openaiRequestBody(conversation, tools, {
        model: settings.model,
        maxOutputTokens: opts.maxOutputTokens,
        stream: settings.stream,
      });
      const headers: Record<string, string> = { "content-type": "application/json", ...settings.headers };
      if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
      return callWithRetries(
        url,
        { method: "POST", headers, body: JSON.stringify(body) },
        async (response) => {
          if (!settings.stream)
            return openaiCompletionTurn(parseJson(await response.text(), "a chat.completion"));
          if (!response.body) throw new ModelProtocolError("a streamed reply without a body");
          const acc = new OpenAiStreamAccumulator();
          for await (const event of readSse(response.body)) acc.push(event.data);
          return acc.result();
        },
        settings.http,
      );
    },
  };
}
