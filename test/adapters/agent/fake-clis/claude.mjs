#!/opt/node/bin/node
// A fake `claude` for the tests, run inside the Sandbox. It behaves like Claude Code in print
// mode with --output-format stream-json: asks the model (through ANTHROPIC_BASE_URL, with
// whatever key it was given), edits a file, and prints the real event shapes. Before that it
// writes down everything a process in the Sandbox can see of credentials: its environment,
// every /proc/<pid>/environ and cmdline, so the test can check the key is in none of them.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

const args = process.argv.slice(2);
const prompt = args[args.indexOf("-p") + 1] ?? "";
const seen = [`env: ${JSON.stringify(process.env)}`];
for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
  for (const file of ["environ", "cmdline"]) {
    try {
      seen.push(`${pid}/${file}: ${readFileSync(`/proc/${pid}/${file}`, "utf8").replace(/\0/g, " ")}`);
    } catch {}
  }
}
writeFileSync("/tmp/seen-by-cli.txt", seen.join("\n"));

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const session_id = "5f0c7e0e-0000-4000-8000-000000000001";
emit({
  type: "system",
  subtype: "init",
  cwd: process.cwd(),
  session_id,
  tools: ["Bash", "Edit", "Read", "Write"],
  model: "claude-sonnet-4-5",
  permissionMode: "bypassPermissions",
  apiKeySource: "ANTHROPIC_API_KEY",
});

const response = await fetch(`${process.env.ANTHROPIC_BASE_URL}/v1/messages`, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    "x-api-key": process.env.ANTHROPIC_API_KEY ?? "",
    "anthropic-version": "2023-06-01",
  },
  body: JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    stream: true,
    messages: [{ role: "user", content: prompt }],
  }),
});
if (!response.ok) {
  const text = await response.text();
  emit({
    type: "result",
    subtype: "error_during_execution",
    is_error: true,
    duration_ms: 10,
    num_turns: 1,
    result: `API Error: ${response.status} ${text}`,
    session_id,
    total_cost_usd: 0,
    usage: { input_tokens: 0, output_tokens: 0 },
  });
  process.exit(1);
}
let text = "";
const usage = { input_tokens: 0, output_tokens: 0 };
for (const line of (await response.text()).split("\n")) {
  if (!line.startsWith("data: ")) continue;
  const event = JSON.parse(line.slice(6));
  if (event.type === "message_start") usage.input_tokens = event.message.usage.input_tokens;
  if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
  if (event.type === "message_delta") usage.output_tokens = event.usage.output_tokens;
}
// The scripted model answers with the file to write, as "path: content".
const [path, ...rest] = text.split(": ");
const content = `${rest.join(": ")}\n`;
const tool_use_id = "toolu_01FakeWrite";
emit({
  type: "assistant",
  message: {
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [
      {
        type: "tool_use",
        id: tool_use_id,
        name: "Write",
        input: { file_path: `/workspace/${path}`, content },
      },
    ],
    stop_reason: "tool_use",
    usage,
  },
  parent_tool_use_id: null,
  session_id,
});
writeFileSync(`/workspace/${path}`, content);
emit({
  type: "user",
  message: {
    role: "user",
    content: [
      { tool_use_id, type: "tool_result", content: `File created successfully at: /workspace/${path}` },
    ],
  },
  parent_tool_use_id: null,
  session_id,
});
emit({
  type: "assistant",
  message: {
    id: "msg_02",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [{ type: "text", text: `Wrote ${path}.` }],
    stop_reason: "end_turn",
    usage,
  },
  parent_tool_use_id: null,
  session_id,
});
emit({
  type: "result",
  subtype: "success",
  is_error: false,
  duration_ms: 1234,
  duration_api_ms: 1000,
  num_turns: 2,
  result: `Wrote ${path}.`,
  session_id,
  total_cost_usd: 0.0123,
  usage: {
    input_tokens: usage.input_tokens,
    cache_creation_input_tokens: 100,
    cache_read_input_tokens: 50,
    output_tokens: usage.output_tokens,
    server_tool_use: { web_search_requests: 0 },
    service_tier: "standard",
  },
});
