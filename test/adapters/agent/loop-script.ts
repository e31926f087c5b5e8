/**
 * The scripted "model" of the loop test and the agents bench: it reads what it
 * is sent. A first round writes sum.mjs with a bug (a - b); a fix round whose
 * prompt carries the failing check "sum works" and its output repairs it with
 * an edit. Each round is two calls (tool calls, then the summary), each
 * reporting 900 tokens in and 60 out.
 */
import type { Script } from "../../support/model-servers/scripted.ts";

const USAGE = { in: 900, out: 60 };

export const fixRepairsFromReport: Script = (body) => {
  const messages = (body.messages ?? []) as Array<{ role: string; content: unknown }>;
  const prompt = String(messages.find((m) => m.role === "user")?.content ?? "");
  const answered = messages.some((m) => m.role === "tool");
  const isFix = prompt.includes("a fix");
  if (answered)
    return {
      kind: "turn",
      text: isFix ? "Fixed sum: it subtracted." : "Implemented sum in sum.mjs.",
      usage: USAGE,
    };
  if (!isFix)
    return {
      kind: "turn",
      toolCalls: [
        { id: "call_w1", name: "read_file", input: { path: "sum.mjs" } },
        {
          id: "call_w2",
          name: "write_file",
          input: { path: "sum.mjs", content: "export function sum(a, b) {\n  return a - b;\n}\n" },
        },
      ],
      usage: USAGE,
    };
  if (prompt.includes('FAIL] command "sum works"') && prompt.includes("expected 5, got -1"))
    return {
      kind: "turn",
      toolCalls: [
        {
          id: "call_f1",
          name: "edit_file",
          input: { path: "sum.mjs", old_text: "a - b", new_text: "a + b" },
        },
      ],
      usage: USAGE,
    };
  return { kind: "turn", text: "The report does not say what failed; nothing changed.", usage: USAGE };
};
