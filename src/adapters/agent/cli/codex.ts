/**
 * Codex in the Sandbox: `codex exec --json <prompt>`. Events (JSONL):
 * `thread.started`, `turn.started`, `item.started` / `item.updated` /
 * `item.completed` with an item of type `agent_message` (text), `reasoning`,
 * `command_execution` (command, aggregated_output, exit_code), `file_change`
 * (changes: path + kind), `mcp_tool_call`, `web_search`, `todo_list`, `error`;
 * `turn.completed` with `usage` (input_tokens, cached_input_tokens — a part of
 * input_tokens — and output_tokens), `turn.failed` with `error.message`, and a
 * top-level `error`. Codex reports no cost: the price table prices it.
 * Older releases named the item kind `item_type` and the message
 * `assistant_message`; both are read. The parser is pure.
 */
import { PLACEHOLDER_KEY } from "../../../ports/egress-routes.ts";
import type { CliSpec } from "./runner.ts";
import { type CliEventParser, type CliOutcome, emptyOutcome, isRecord, num, str } from "./stream.ts";

export class CodexParser implements CliEventParser {
  private o: CliOutcome = emptyOutcome();

  push(event: unknown): void {
    if (!isRecord(event)) return;
    this.o.events += 1;
    switch (event.type) {
      case "item.completed": {
        const item = isRecord(event.item) ? event.item : {};
        const kind = str(item.type) || str(item.item_type);
        if (kind === "agent_message" || kind === "assistant_message") this.o.summary = str(item.text);
        if (kind === "command_execution" && str(item.command)) this.o.commands.push(str(item.command));
        if (kind === "file_change" && Array.isArray(item.changes))
          for (const c of item.changes)
            if (isRecord(c) && str(c.path) && !this.o.filesTouched.includes(str(c.path)))
              this.o.filesTouched.push(str(c.path));
        if (kind === "error" && str(item.message)) this.o.error = str(item.message);
        return;
      }
      case "turn.completed":
        this.o.finished = true;
        if (isRecord(event.usage)) {
          this.o.tokensIn += num(event.usage.input_tokens);
          this.o.tokensOut += num(event.usage.output_tokens);
        }
        return;
      case "turn.failed":
        this.o.finished = true;
        this.o.error = isRecord(event.error) ? str(event.error.message) || "turn failed" : "turn failed";
        return;
      case "error":
        this.o.error = str(event.message) || "codex reported an error";
        return;
    }
  }

  outcome(): CliOutcome {
    return { ...this.o };
  }
}

export const codex: CliSpec = {
  name: "codex",
  defaultCommand: "codex",
  argv: ({ command, prompt, model }) => [
    command,
    "exec",
    "--json",
    "--skip-git-repo-check",
    // The Sandbox is the boundary: Codex's own sandbox (landlock/seccomp) is not available inside bwrap.
    "--dangerously-bypass-approvals-and-sandbox",
    "--cd",
    "/workspace",
    ...(model ? ["--model", model] : []),
    prompt,
  ],
  env: (egress): Record<string, string> =>
    egress.kind === "proxy"
      ? { OPENAI_BASE_URL: `${egress.url}/openai/v1`, OPENAI_API_KEY: PLACEHOLDER_KEY }
      : { OPENAI_API_KEY: PLACEHOLDER_KEY },
  parser: () => new CodexParser(),
};
