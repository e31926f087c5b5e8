/**
 * Pure: the conversation the LLM adapters keep, in one neutral shape that both
 * wire formats (OpenAI chat completions, Anthropic Messages) are rendered from,
 * and the rule that keeps it under the model's context window: old tool output
 * is replaced by a one-line summary, newest kept, until the estimate fits.
 * The estimate is characters / 4 (close enough for English and code; the
 * budget check adds the reply's maximum on top).
 */

export interface ToolCall {
  id: string;
  name: string;
  /** Parsed JSON arguments (a parse failure is reported back to the model as the tool's result). */
  input: unknown;
}

export type Message =
  | { role: "user"; text: string }
  | { role: "assistant"; text: string; toolCalls: ToolCall[] }
  | { role: "tool"; callId: string; name: string; output: string; summarised?: boolean };

export interface Conversation {
  system: string;
  messages: Message[];
}

/** What one model call returns, in the neutral shape. */
export interface ModelTurn {
  text: string;
  toolCalls: ToolCall[];
  stop: "end" | "tool_use" | "max_tokens" | "other";
  usage: { tokensIn: number; tokensOut: number };
}

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function conversationTokens(conversation: Conversation): number {
  let chars = conversation.system.length;
  for (const m of conversation.messages) {
    if (m.role === "user") chars += m.text.length;
    else if (m.role === "tool") chars += m.output.length + 40;
    else chars += m.text.length + m.toolCalls.reduce((n, c) => n + JSON.stringify(c.input).length + 40, 0);
  }
  return Math.ceil(chars / 4);
}

/** Pure: the summary that replaces an old tool output (the call stays, so the model knows it ran). */
export function summariseToolOutput(m: Extract<Message, { role: "tool" }>): string {
  const lines = m.output.split("\n");
  const head = lines[0]?.slice(0, 120) ?? "";
  return `[earlier output of ${m.name} summarised to save context: ${lines.length} lines, ${m.output.length} characters; first line: ${head}]`;
}

/**
 * Pure: a copy of the conversation whose estimate fits `maxTokens`, summarising tool outputs
 * oldest first and never the last `keepRecent` of them. Returns how many were summarised;
 * when even that is not enough the caller's budget check will refuse the call.
 */
export function fitToWindow(
  conversation: Conversation,
  maxTokens: number,
  keepRecent = 2,
): { conversation: Conversation; summarised: number } {
  const messages = [...conversation.messages];
  const toolIndexes = messages.flatMap((m, i) => (m.role === "tool" && !m.summarised ? [i] : []));
  const candidates = toolIndexes.slice(0, Math.max(0, toolIndexes.length - keepRecent));
  let summarised = 0;
  let current: Conversation = { ...conversation, messages };
  for (const i of candidates) {
    if (conversationTokens(current) <= maxTokens) break;
    const m = messages[i] as Extract<Message, { role: "tool" }>;
    messages[i] = { ...m, output: summariseToolOutput(m), summarised: true };
    summarised += 1;
    current = { ...conversation, messages };
  }
  return { conversation: current, summarised };
}
