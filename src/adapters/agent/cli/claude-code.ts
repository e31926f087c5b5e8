/**
 * Claude Code in the Sandbox: `claude -p <prompt> --output-format stream-json
 * --verbose` (stream-json needs --verbose in print mode). Events, one JSON
 * object a line: `system`/`init` (model, tools), `assistant` (a Messages API
 * message: text and `tool_use` blocks), `user` (tool results), and a final
 * `result` with `subtype` (success | error_max_turns | error_during_execution),
 * `is_error`, `result` (the final text), `total_cost_usd` and `usage` (input,
 * cache creation, cache read and output tokens). The parser is pure.
 */
import { PLACEHOLDER_KEY } from "../../../ports/egress-routes.ts";
import {
  type CliEventParser,
  type CliOutcome,
  emptyOutcome,
  isRecord,
  num,
  reportedCost,
  str,
} from "./stream.ts";
import type { CliSpec } from "./runner.ts";

const EDIT_TOOLS = new Set(["Edit", "Write", "MultiEdit", "NotebookEdit"]);

export class ClaudeCodeParser implements CliEventParser {
  private o: CliOutcome = emptyOutcome();
  private lastText = "";

  push(event: unknown): void {
    if (!isRecord(event)) return;
    this.o.events += 1;
    if (event.type === "assistant" && isRecord(event.message) && Array.isArray(event.message.content)) {
      for (const block of event.message.content) {
        if (!isRecord(block)) continue;
        if (block.type === "text" && str(block.text)) this.lastText = str(block.text);
        if (block.type === "tool_use" && isRecord(block.input)) {
          const name = str(block.name);
          if (EDIT_TOOLS.has(name)) {
            const path = str(block.input.file_path) || str(block.input.notebook_path);
            if (path && !this.o.filesTouched.includes(path)) this.o.filesTouched.push(path);
          }
          if (name === "Bash" && str(block.input.command)) this.o.commands.push(str(block.input.command));
        }
      }
    }
    if (event.type === "result") {
      this.o.finished = true;
      this.o.summary = str(event.result) || this.lastText;
      const cost = reportedCost(event.total_cost_usd);
      if (cost !== null) this.o.costUsd = cost;
      if (isRecord(event.usage)) {
        const u = event.usage;
        this.o.tokensIn =
          num(u.input_tokens) + num(u.cache_creation_input_tokens) + num(u.cache_read_input_tokens);
        this.o.tokensOut = num(u.output_tokens);
      }
      if (event.is_error === true || (typeof event.subtype === "string" && event.subtype !== "success"))
        this.o.error = `claude ended with ${str(event.subtype) || "an error"}${str(event.result) ? `: ${str(event.result)}` : ""}`;
    }
  }

  outcome(): CliOutcome {
    return { ...this.o, summary: this.o.summary || this.lastText };
  }
}

export const claudeCode: CliSpec = {
  name: "claude-code",
  defaultCommand: "claude",
  argv: ({ command, prompt, model, maxTurns }) => [
    command,
    "-p",
    prompt,
    "--output-format",
    "stream-json",
    "--verbose",
    // The Sandbox is the boundary; inside it the agent needs no per-edit approval.
    "--permission-mode",
    "bypassPermissions",
    "--disallowedTools",
    "Bash(wrangler deploy:*)",
    "--max-turns",
    String(maxTurns),
    ...(model ? ["--model", model] : []),
  ],
  env: (egress): Record<string, string> =>
    egress.kind === "proxy"
      ? { ANTHROPIC_BASE_URL: `${egress.url}/anthropic`, ANTHROPIC_API_KEY: PLACEHOLDER_KEY }
      : { ANTHROPIC_API_KEY: PLACEHOLDER_KEY },
  parser: () => new ClaudeCodeParser(),
};
