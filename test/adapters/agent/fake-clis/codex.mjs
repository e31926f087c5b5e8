#!/opt/node/bin/node
// A fake `codex exec --json` for the tests: edits a file and prints the real JSONL event shapes.
// With FAKE_CODEX_HANG=1 it starts a turn and then never ends (the adapter must kill it).
import { writeFileSync } from "node:fs";

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
emit({ type: "thread.started", thread_id: "0199a213-81c0-7800-8aa1-bbab2a035a53" });
emit({ type: "turn.started" });
emit({ type: "item.completed", item: { id: "item_0", type: "reasoning", text: "**Planning the change**" } });
if (process.env.FAKE_CODEX_HANG === "1") {
  emit({
    type: "item.started",
    item: {
      id: "item_1",
      type: "command_execution",
      command: "bash -lc 'sleep 3600'",
      aggregated_output: "",
      exit_code: null,
      status: "in_progress",
    },
  });
  setInterval(() => {}, 1 << 30);
} else {
  emit({
    type: "item.started",
    item: {
      id: "item_1",
      type: "command_execution",
      command: "bash -lc ls",
      aggregated_output: "",
      exit_code: null,
      status: "in_progress",
    },
  });
  emit({
    type: "item.completed",
    item: {
      id: "item_1",
      type: "command_execution",
      command: "bash -lc ls",
      aggregated_output: "README.md\n",
      exit_code: 0,
      status: "completed",
    },
  });
  writeFileSync("/workspace/hello.txt", "hello from codex\n");
  emit({
    type: "item.completed",
    item: {
      id: "item_2",
      type: "file_change",
      changes: [{ path: "/workspace/hello.txt", kind: "add" }],
      status: "completed",
    },
  });
  emit({ type: "item.completed", item: { id: "item_3", type: "agent_message", text: "Added hello.txt." } });
  emit({
    type: "turn.completed",
    usage: { input_tokens: 24763, cached_input_tokens: 24448, output_tokens: 122 },
  });
}
