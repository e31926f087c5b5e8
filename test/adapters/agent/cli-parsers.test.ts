/**
 * The CLI stream parsers on the real event shapes (as the CLIs print them),
 * fed in arbitrary chunks as the Sandbox streams them.
 */
import { describe, expect, it } from "vitest";
import { ClaudeCodeParser } from "../../../src/adapters/agent/cli/claude-code.ts";
import { CodexParser } from "../../../src/adapters/agent/cli/codex.ts";
import { OpenCodeParser } from "../../../src/adapters/agent/cli/opencode.ts";
import { type CliEventParser, JsonLineFeed } from "../../../src/adapters/agent/cli/stream.ts";

function feed(parser: CliEventParser, lines: object[], chunk = 17) {
  const text = `warning: a banner line that is not JSON\n${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
  const f = new JsonLineFeed(parser);
  for (let i = 0; i < text.length; i += chunk) f.push(text.slice(i, i + chunk));
  return f.end();
}

describe("Claude Code stream-json", () => {
  const session_id = "s";
  it("takes the result's text, cost and usage (cache tokens count as input), and the edited files", () => {
    const outcome = feed(new ClaudeCodeParser(), [
      { type: "system", subtype: "init", session_id, model: "claude-sonnet-4-5", tools: ["Edit"] },
      {
        type: "assistant",
        session_id,
        message: {
          role: "assistant",
          content: [
            { type: "text", text: "Looking." },
            {
              type: "tool_use",
              id: "t1",
              name: "Edit",
              input: { file_path: "/workspace/src/index.ts", old_string: "a", new_string: "b" },
            },
            { type: "tool_use", id: "t2", name: "Bash", input: { command: "npm test" } },
          ],
        },
      },
      {
        type: "user",
        session_id,
        message: { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] },
      },
      {
        type: "result",
        subtype: "success",
        is_error: false,
        num_turns: 3,
        result: "Renamed the field.",
        session_id,
        total_cost_usd: 0.0456,
        usage: {
          input_tokens: 10,
          cache_creation_input_tokens: 2000,
          cache_read_input_tokens: 3000,
          output_tokens: 400,
        },
      },
    ]);
    expect(outcome).toMatchObject({
      summary: "Renamed the field.",
      tokensIn: 5010,
      tokensOut: 400,
      costUsd: 0.0456,
      filesTouched: ["/workspace/src/index.ts"],
      commands: ["npm test"],
      error: null,
      finished: true,
      events: 4,
      noise: 1,
    });
  });
  it("reports error results (max turns) as errors", () => {
    const outcome = feed(new ClaudeCodeParser(), [
      {
        type: "result",
        subtype: "error_max_turns",
        is_error: false,
        num_turns: 50,
        session_id,
        total_cost_usd: 1.2,
        usage: { input_tokens: 1, output_tokens: 1 },
      },
    ]);
    expect(outcome.error).toMatch(/error_max_turns/);
  });
});

describe("Codex exec --json", () => {
  it("sums turn usage, keeps the last agent message and the file changes", () => {
    const outcome = feed(
      new CodexParser(),
      [
        { type: "thread.started", thread_id: "t" },
        { type: "turn.started" },
        { type: "item.completed", item: { id: "item_0", type: "reasoning", text: "thinking" } },
        {
          type: "item.completed",
          item: {
            id: "item_1",
            type: "command_execution",
            command: "bash -lc ls",
            aggregated_output: "x",
            exit_code: 0,
            status: "completed",
          },
        },
        {
          type: "item.completed",
          item: {
            id: "item_2",
            type: "file_change",
            changes: [{ path: "src/a.ts", kind: "update" }],
            status: "completed",
          },
        },
        { type: "item.completed", item: { id: "item_3", type: "agent_message", text: "Done." } },
        {
          type: "turn.completed",
          usage: { input_tokens: 1000, cached_input_tokens: 800, output_tokens: 50 },
        },
      ],
      5,
    );
    expect(outcome).toMatchObject({
      summary: "Done.",
      tokensIn: 1000,
      tokensOut: 50,
      costUsd: null,
      filesTouched: ["src/a.ts"],
      commands: ["bash -lc ls"],
      finished: true,
      error: null,
    });
  });
  it("reads the older item_type/assistant_message shape and turn.failed", () => {
    const outcome = feed(new CodexParser(), [
      { type: "item.completed", item: { id: "0", item_type: "assistant_message", text: "old shape" } },
      { type: "turn.failed", error: { message: "stream disconnected before completion" } },
    ]);
    expect(outcome).toMatchObject({ summary: "old shape", error: "stream disconnected before completion" });
  });
});

describe("OpenCode run --format json", () => {
  it("adds up step_finish tokens and cost; the final text is the summary", () => {
    const part = (type: string, extra: object) => ({
      id: "p",
      sessionID: "ses_1",
      messageID: "m",
      type,
      ...extra,
    });
    const outcome = feed(new OpenCodeParser(), [
      { type: "step_start", timestamp: 1, sessionID: "ses_1", part: part("step-start", { snapshot: "a" }) },
      {
        type: "tool_use",
        timestamp: 2,
        sessionID: "ses_1",
        part: part("tool", {
          tool: "edit",
          callID: "c",
          state: { status: "completed", input: { filePath: "/workspace/x.ts" }, output: "" },
        }),
      },
      {
        type: "step_finish",
        timestamp: 3,
        sessionID: "ses_1",
        part: part("step-finish", {
          reason: "tool-calls",
          cost: 0.001,
          tokens: { input: 100, output: 10, reasoning: 5, cache: { read: 50, write: 0 } },
        }),
      },
      { type: "text", timestamp: 4, sessionID: "ses_1", part: part("text", { text: "All done." }) },
      {
        type: "step_finish",
        timestamp: 5,
        sessionID: "ses_1",
        part: part("step-finish", {
          reason: "stop",
          cost: 0.002,
          tokens: { input: 200, output: 20, reasoning: 0, cache: { read: 0, write: 0 } },
        }),
      },
    ]);
    expect(outcome).toMatchObject({
      summary: "All done.",
      tokensIn: 350,
      tokensOut: 35,
      costUsd: 0.003,
      filesTouched: ["/workspace/x.ts"],
      finished: true,
    });
  });
  it("takes the message of an error event", () => {
    const outcome = feed(new OpenCodeParser(), [
      {
        type: "error",
        timestamp: 1,
        sessionID: "ses_1",
        error: { name: "APIError", data: { message: "rate limited" } },
      },
    ]);
    expect(outcome.error).toBe("rate limited");
  });
});
