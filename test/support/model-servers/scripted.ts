/**
 * Faithful local model servers for the agent tests: real Node HTTP servers
 * that speak the OpenAI chat-completions and Anthropic Messages wire formats
 * (JSON and SSE streaming, tool calls, usage) and follow a script: each
 * request gets the next reply of the script, chosen by a function of the
 * request body so a scripted "model" can react to what it was sent (the
 * report of a fix round). Replies can also be an HTTP error with headers
 * (429 + retry-after), a malformed stream, or a stream error event.
 * Every request is recorded (path, headers, parsed body). Test-only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface ScriptedToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
  /** Sent as the call's arguments instead of `input` as JSON (a model emitting broken JSON). */
  rawArguments?: string;
}

export type ScriptedReply =
  | { kind: "turn"; text?: string; toolCalls?: ScriptedToolCall[]; usage?: { in: number; out: number } }
  | { kind: "http-error"; status: number; headers?: Record<string, string>; body?: string }
  /** A stream that breaks the wire format half-way (bad JSON in a data line). */
  | { kind: "malformed" }
  /** Anthropic only: an `error` event in the stream (e.g. overloaded_error). */
  | { kind: "stream-error"; type: string; message: string }
  /** Never answers until the server closes (a hung upstream). */
  | { kind: "hang" }
  /** Answers `reply` once `until` settles: a call held in flight at a point a test chooses. */
  | { kind: "wait"; until: Promise<unknown>; reply: ScriptedReply };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
}

export type Script = (body: Record<string, unknown>, index: number) => ScriptedReply;

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

// ----------------------------------------------------------------- OpenAI

function openaiStream(res: ServerResponse, reply: Extract<ScriptedReply, { kind: "turn" }>, model: string) {
  const id = "chatcmpl-scripted";
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: object = {}) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 1_700_000_000, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write(chunk({ role: "assistant", content: "" }));
  const text = reply.text ?? "";
  // Text in pieces, as a model streams it.
  for (let i = 0; i < text.length; i += 7) res.write(chunk({ content: text.slice(i, i + 7) }));
  (reply.toolCalls ?? []).forEach((call, index) => {
    res.write(
      chunk({
        tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
      }),
    );
    const args = call.rawArguments ?? JSON.stringify(call.input);
    // Arguments arrive as fragments of a JSON string, split mid-token on purpose.
    for (let i = 0; i < args.length; i += 11)
      res.write(chunk({ tool_calls: [{ index, function: { arguments: args.slice(i, i + 11) } }] }));
  });
  res.write(chunk({}, reply.toolCalls?.length ? "tool_calls" : "stop"));
  const usage = reply.usage ?? { in: 100, out: 20 };
  res.write(
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 1_700_000_000, model, choices: [], usage: { prompt_tokens: usage.in, completion_tokens: usage.out, total_tokens: usage.in + usage.out } })}\n\n`,
  );
  res.end("data: [DONE]\n\n");
}

function openaiJson(res: ServerResponse, reply: Extract<ScriptedReply, { kind: "turn" }>, model: string) {
  const usage = reply.usage ?? { in: 100, out: 20 };
  res.writeHead(200, { "content-type": "application/json" });
  res.end(
    JSON.stringify({
      id: "chatcmpl-scripted",
      object: "chat.completion",
      created: 1_700_000_000,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: reply.text ?? null,
            ...(reply.toolCalls?.length
              ? {
                  tool_calls: reply.toolCalls.map((c) => ({
                    id: c.id,
                    type: "function",
                    function: { name: c.name, arguments: c.rawArguments ?? JSON.stringify(c.input) },
                  })),
                }
              : {}),
          },
          finish_reason: reply.toolCalls?.length ? "tool_calls" : "stop",
        },
      ],
      usage: { prompt_tokens: usage.in, completion_tokens: usage.out, total_tokens: usage.in + usage.out },
    }),
  );
}

// -------------------------------------------------------------- Anthropic

function anthropicStream(
  res: ServerResponse,
  reply: Extract<ScriptedReply, { kind: "turn" }>,
  model: string,
) {
  const send = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  const usage = reply.usage ?? { in: 100, out: 20 };
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  send("message_start", {
    message: {
      id: "msg_scripted",
      type: "message",
      role: "assistant",
      content: [],
      model,
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: usage.in, output_tokens: 1 },
    },
  });
  let index = 0;
  if (reply.text) {
    send("content_block_start", { index, content_block: { type: "text", text: "" } });
    send("ping", {});
    for (let i = 0; i < reply.text.length; i += 7)
      send("content_block_delta", { index, delta: { type: "text_delta", text: reply.text.slice(i, i + 7) } });
    send("content_block_stop", { index });
    index += 1;
  }
  for (const call of reply.toolCalls ?? []) {
    send("content_block_start", {
      index,
      content_block: { type: "tool_use", id: call.id, name: call.name, input: {} },
    });
    const json = call.rawArguments ?? JSON.stringify(call.input);
    for (let i = 0; i < json.length; i += 9)
      send("content_block_delta", {
        index,
        delta: { type: "input_json_delta", partial_json: json.slice(i, i + 9) },
      });
    send("content_block_stop", { index });
    index += 1;
  }
  send("message_delta", {
    delta: { stop_reason: reply.toolCalls?.length ? "tool_use" : "end_turn", stop_sequence: null },
    usage: { output_tokens: usage.out },
  });
  send("message_stop", {});
  res.end();
}

// ----------------------------------------------------------------- server

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * One server answering both formats: `POST …/chat/completions` (OpenAI) and `POST …/v1/messages`
 * (Anthropic), each with its own script. Optional `requireKey` checks the credential header
 * (what the egress proxy must add) and answers 401 otherwise, as the real APIs do.
 */
export async function startScriptedModelServer(opts: {
  openai?: Script;
  anthropic?: Script;
  requireKey?: string;
}): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const counters = { openai: 0, anthropic: 0 };
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer(async (req, res) => {
    const body: Record<string, unknown> = await readBody(req).catch(() => ({}));
    const path = req.url ?? "/";
    requests.push({ path, headers: req.headers, body });
    const api = path.endsWith("/chat/completions")
      ? "openai"
      : path.endsWith("/v1/messages")
        ? "anthropic"
        : null;
    const script = api ? opts[api] : undefined;
    if (!api || !script) {
      res.writeHead(404, { "content-type": "application/json" });
      return res.end(JSON.stringify({ error: { message: `no route ${path}` } }));
    }
    if (opts.requireKey) {
      const got = api === "openai" ? req.headers.authorization : req.headers["x-api-key"];
      const want = api === "openai" ? `Bearer ${opts.requireKey}` : opts.requireKey;
      if (got !== want) {
        res.writeHead(401, { "content-type": "application/json" });
        return res.end(
          JSON.stringify(
            api === "openai"
              ? {
                  error: {
                    message: "Incorrect API key provided",
                    type: "invalid_request_error",
                    code: "invalid_api_key",
                  },
                }
              : { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } },
          ),
        );
      }
    }
    let reply = script(body, counters[api]++);
    while (reply.kind === "wait") {
      const { until, reply: then } = reply;
      hanging.add(res);
      await until.catch(() => {});
      hanging.delete(res);
      // The caller may be gone by now (a test killed it meanwhile): nothing to answer.
      if (res.destroyed || res.writableEnded) return;
      reply = then;
    }
    const model = String(body.model ?? "scripted-model");
    switch (reply.kind) {
      case "http-error":
        res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
        return res.end(reply.body ?? JSON.stringify({ error: { message: `scripted ${reply.status}` } }));
      case "malformed":
        res.writeHead(200, { "content-type": "text/event-stream" });
        return res.end(
          api === "openai"
            ? 'data: {"id":"x","choices":[{"delta":{"content":"hal\n\n'
            : 'event: message_start\ndata: {"type":"message_st\n\n',
        );
      case "stream-error":
        res.writeHead(200, { "content-type": "text/event-stream" });
        return res.end(
          `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: reply.type, message: reply.message } })}\n\n`,
        );
      case "hang":
        hanging.add(res);
        return;
      case "turn":
        if (api === "anthropic") return anthropicStream(res, reply, model);
        return body.stream === false ? openaiJson(res, reply, model) : openaiStream(res, reply, model);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The text of the last user-side message of a request, whichever the format (what a script reacts to). */
export function lastUserText(body: Record<string, unknown>): string {
  const messages = (body.messages ?? []) as Array<{ role: string; content: unknown }>;
  return messages
    .filter((m) => m.role === "user" || m.role === "tool")
    .map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content)))
    .join("\n");
}

/** Tool results sent back so far (OpenAI `tool` messages), for scripts that check them. */
export function toolResults(body: Record<string, unknown>): string[] {
  const messages = (body.messages ?? []) as Array<{ role: string; content: unknown }>;
  return messages.filter((m) => m.role === "tool").map((m) => String(m.content));
}
