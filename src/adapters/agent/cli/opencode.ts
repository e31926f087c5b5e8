/**
 * OpenCode in the Sandbox: `opencode run --format json <prompt>`. Events
 * (JSONL), each `{ type, timestamp, sessionID, part }`: `step_start`, `text`
 * (part.text), `tool_use` (part.tool, part.state: status, input, output),
 * `step_finish` (part.reason "tool-calls" | "stop", part.cost, part.tokens:
 * input, output, reasoning, cache.read, cache.write), and `error`
 * (error.name, error.data.message). Usage adds up over the steps. The model
 * provider's base URL and placeholder key go in through OPENCODE_CONFIG_CONTENT.
 * The parser is pure.
 */
import { PLACEHOLDER_KEY } from "../../../ports/egress-routes.ts";
import type { CliSpec } from "./runner.ts";
import {
  type CliEventParser,
  type CliOutcome,
  emptyOutcome,
  isRecord,
  num,
  reportedCost,
  str,
} from "./stream.ts";

const EDIT_TOOLS = new Set(["edit", "write", "multiedit", "patch"]);

export class OpenCodeParser implements CliEventParser {
  private o: CliOutcome = emptyOutcome();

  push(event: unknown): void {
    if (!isRecord(event)) return;
    this.o.events += 1;
    const part = isRecord(event.part) ? event.part : {};
    switch (event.type) {
      case "text":
        if (str(part.text)) this.o.summary = str(part.text);
        return;
      case "tool_use": {
        const state = isRecord(part.state) ? part.state : {};
        const input = isRecord(state.input) ? state.input : {};
        const tool = str(part.tool);
        if (state.status !== "completed") return;
        if (EDIT_TOOLS.has(tool)) {
          const path = str(input.filePath) || str(input.file_path) || str(input.path);
          if (path && !this.o.filesTouched.includes(path)) this.o.filesTouched.push(path);
        }
        if (tool === "bash" && str(input.command)) this.o.commands.push(str(input.command));
        return;
      }
      case "step_finish": {
        const tokens = isRecord(part.tokens) ? part.tokens : {};
        const cache = isRecord(tokens.cache) ? tokens.cache : {};
        this.o.tokensIn += num(tokens.input) + num(cache.read) + num(cache.write);
        this.o.tokensOut += num(tokens.output) + num(tokens.reasoning);
        const cost = reportedCost(part.cost);
        if (cost !== null) this.o.costUsd = (this.o.costUsd ?? 0) + cost;
        if (part.reason === "stop") this.o.finished = true;
        return;
      }
      case "error": {
        const error = isRecord(event.error) ? event.error : {};
        const data = isRecord(error.data) ? error.data : {};
        this.o.error =
          str(data.message) ||
          str(error.message) ||
          str(event.message) ||
          str(error.name) ||
          "opencode error";
        return;
      }
    }
  }

  outcome(): CliOutcome {
    return { ...this.o, costUsd: this.o.costUsd === null ? null : Math.round(this.o.costUsd * 1e6) / 1e6 };
  }
}

export const opencode: CliSpec = {
  name: "opencode",
  defaultCommand: "opencode",
  argv: ({ command, prompt, model }) => [
    command,
    "run",
    "--format",
    "json",
    ...(model ? ["--model", model] : []),
    prompt,
  ],
  env: (egress) => {
    const base = (route: string, path: string) =>
      egress.kind === "proxy" ? { baseURL: `${egress.url}/${route}${path}` } : {};
    const config = {
      $schema: "https://opencode.ai/config.json",
      provider: {
        anthropic: { options: { apiKey: PLACEHOLDER_KEY, ...base("anthropic", "/v1") } },
        openai: { options: { apiKey: PLACEHOLDER_KEY, ...base("openai", "/v1") } },
      },
      autoupdate: false,
      share: "disabled",
    };
    return { OPENCODE_CONFIG_CONTENT: JSON.stringify(config) };
  },
  parser: () => new OpenCodeParser(),
};
