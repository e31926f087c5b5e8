#!/opt/node/bin/node
// A fake `opencode run --format json` for the tests: deletes one file, edits another and prints
// the real JSONL event shapes (step_start, tool_use, text, step_finish with tokens and cost).
import { unlinkSync, writeFileSync } from "node:fs";

const sessionID = "ses_494719016ffe85dkDMj0FPRbHK";
const base = (type) => ({
  id: `prt_${Math.random().toString(36).slice(2)}`,
  sessionID,
  messageID: "msg_b6b8e01",
  type,
});
const emit = (type, part) =>
  process.stdout.write(`${JSON.stringify({ type, timestamp: 1767036059338, sessionID, part })}\n`);
const config = JSON.parse(process.env.OPENCODE_CONFIG_CONTENT ?? "{}");
emit("step_start", { ...base("step-start"), snapshot: "4b825dc642cb6eb9a060e54bf8d69288fbee4904" });
unlinkSync("/workspace/old.txt");
emit("tool_use", {
  ...base("tool"),
  callID: "toolu_1",
  tool: "bash",
  state: {
    status: "completed",
    input: { command: "rm old.txt", description: "remove" },
    output: "",
    title: "rm old.txt",
    metadata: { exit: 0 },
    time: { start: 1, end: 2 },
  },
});
writeFileSync(
  "/workspace/README.md",
  `# edited by opencode via ${config.provider?.anthropic?.options?.baseURL ?? "?"}\n`,
);
emit("tool_use", {
  ...base("tool"),
  callID: "toolu_2",
  tool: "write",
  state: {
    status: "completed",
    input: { filePath: "/workspace/README.md", content: "…" },
    output: "",
    title: "README.md",
    metadata: {},
    time: { start: 2, end: 3 },
  },
});
emit("step_finish", {
  ...base("step-finish"),
  reason: "tool-calls",
  snapshot: "46358aa5",
  cost: 0.0021,
  tokens: { input: 1200, output: 80, reasoning: 0, cache: { read: 300, write: 0 } },
});
emit("step_start", { ...base("step-start"), snapshot: "46358aa5" });
emit("text", {
  ...base("text"),
  text: "Removed old.txt and updated the README.",
  time: { start: 3, end: 4 },
});
emit("step_finish", {
  ...base("step-finish"),
  reason: "stop",
  snapshot: "5a1c0de0",
  cost: 0.0009,
  tokens: { input: 1400, output: 30, reasoning: 10, cache: { read: 0, write: 0 } },
});
