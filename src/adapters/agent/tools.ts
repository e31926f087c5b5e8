/**
 * The small tool set the LLM-API adapters give a model: list, read, write and
 * edit files and run commands, all through the Sandbox port (never the
 * orchestrator's own filesystem). One definition (name, description, JSON
 * Schema) serves both wire formats. Results are text for the model; a bad
 * call (unknown tool, invalid arguments, a Sandbox error) is a result too, so
 * the model can correct itself. Commands the agent may not run (deploys, DNS,
 * account actions: those belong to the loop and its gates) are refused here,
 * whatever the prompt said.
 */
import { z } from "zod";
import { isSandboxError, type Sandbox, WORKSPACE_DIR, workspaceRelative } from "../../ports/sandbox.ts";
import type { ToolCall } from "./conversation.ts";

export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

const str = (description: string) => ({ type: "string", description });

export const TOOL_DEFINITIONS: ToolDefinition[] = [
  {
    name: "list_files",
    description: "List files under a directory of the workspace (node_modules and .git are skipped).",
    parameters: {
      type: "object",
      properties: { path: str("Directory, relative to the workspace root; '.' for the root.") },
      required: ["path"],
    },
  },
  {
    name: "read_file",
    description: "Read a text file of the workspace.",
    parameters: {
      type: "object",
      properties: { path: str("File path relative to the workspace root.") },
      required: ["path"],
    },
  },
  {
    name: "write_file",
    description: "Create or overwrite a file with the given content (parent directories are created).",
    parameters: {
      type: "object",
      properties: {
        path: str("File path relative to the workspace root."),
        content: str("The whole new content."),
      },
      required: ["path", "content"],
    },
  },
  {
    name: "edit_file",
    description: "Replace one exact, unique occurrence of old_text with new_text in a file.",
    parameters: {
      type: "object",
      properties: {
        path: str("File path relative to the workspace root."),
        old_text: str("Text to find; must occur exactly once."),
        new_text: str("Replacement text."),
      },
      required: ["path", "old_text", "new_text"],
    },
  },
  {
    name: "run_command",
    description:
      "Run a shell command in the workspace (tests, type-check, build). Deploying, DNS and account actions are not allowed.",
    parameters: {
      type: "object",
      properties: {
        command: str("The command line, run with sh -c in the workspace root."),
        timeout_seconds: { type: "integer", description: "Time limit (default 120, max 600)." },
      },
      required: ["command"],
    },
  },
];

const argsSchemas = {
  list_files: z.object({ path: z.string().default(".") }),
  read_file: z.object({ path: z.string().min(1) }),
  write_file: z.object({ path: z.string().min(1), content: z.string() }),
  edit_file: z.object({ path: z.string().min(1), old_text: z.string().min(1), new_text: z.string() }),
  run_command: z.object({
    command: z.string().min(1),
    timeout_seconds: z.number().int().positive().max(600).optional(),
  }),
};

/** Commands an agent may never run: the loop deploys, and gates guard DNS and terms. */
const FORBIDDEN_COMMANDS: Array<{ pattern: RegExp; why: string }> = [
  {
    pattern: /\bwrangler\b[^\n;|&]*\b(deploy|publish|versions\s+deploy|login|logout)\b/,
    why: "deploying is the loop's job (deploy step), not the agent's",
  },
  {
    pattern: /--temporary\b/,
    why: "temporary accounts are created by the deploy step, after the terms gate",
  },
  { pattern: /\bwrangler\b[^\n;|&]*\b(dns|domains?|routes?)\b/, why: "DNS changes go through the DNS gate" },
  {
    pattern: /\b(accept|agree)[-_ ]?(tos|terms)\b/i,
    why: "accepting terms of service is a legal act for a human",
  },
];

export function forbiddenCommand(command: string): string | null {
  for (const rule of FORBIDDEN_COMMANDS) if (rule.pattern.test(command)) return rule.why;
  return null;
}

const MAX_RESULT_CHARS = 20_000;

function clip(text: string, max = MAX_RESULT_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… [${text.length - max} more characters cut]`;
}

export interface ToolOutcome {
  output: string;
  /** Workspace-relative path the call changed, when it changed one. */
  changed?: string;
  isError: boolean;
}

/** Runs one tool call in the Sandbox. Never throws for the model's mistakes; rethrows transient Sandbox faults. */
export async function runTool(sandbox: Sandbox, call: ToolCall): Promise<ToolOutcome> {
  const fail = (output: string): ToolOutcome => ({ output: `error: ${output}`, isError: true });
  if (!(call.name in argsSchemas)) return fail(`unknown tool "${call.name}"`);
  const name = call.name as keyof typeof argsSchemas;
  const parsed = argsSchemas[name].safeParse(call.input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`invalid arguments for ${name}: ${issue?.path.join(".") || "(root)"} ${issue?.message}`);
  }
  try {
    switch (name) {
      case "list_files": {
        const { path } = parsed.data as z.infer<typeof argsSchemas.list_files>;
        const rel = workspaceRelative(path);
        // find, not listFiles: node_modules can hold tens of thousands of files the model never needs.
        const result = await sandbox.exec(
          [
            "find",
            ".",
            "(",
            "-name",
            "node_modules",
            "-o",
            "-name",
            ".git",
            ")",
            "-prune",
            "-o",
            "-type",
            "f",
            "-print",
          ],
          { cwd: `${WORKSPACE_DIR}/${rel}`, timeoutMs: 30_000 },
        );
        if (result.exitCode !== 0) return fail(`cannot list ${rel || "."}: ${result.stderr.trim()}`);
        const lines = result.stdout
          .split("\n")
          .filter(Boolean)
          .map((p) => (rel ? `${rel}/${p.slice(2)}` : p.slice(2)))
          .sort()
          .slice(0, 500);
        return { output: lines.join("\n") || "(empty)", isError: false };
      }
      case "read_file": {
        const { path } = parsed.data as z.infer<typeof argsSchemas.read_file>;
        return {
          output: clip(await sandbox.readFile(`${WORKSPACE_DIR}/${workspaceRelative(path)}`)),
          isError: false,
        };
      }
      case "write_file": {
        const { path, content } = parsed.data as z.infer<typeof argsSchemas.write_file>;
        const rel = workspaceRelative(path);
        if (rel === "") return fail("write_file needs a file path");
        await ensureParent(sandbox, rel);
        await sandbox.writeFile(`${WORKSPACE_DIR}/${rel}`, content);
        return { output: `wrote ${rel} (${content.length} characters)`, changed: rel, isError: false };
      }
      case "edit_file": {
        const args = parsed.data as z.infer<typeof argsSchemas.edit_file>;
        const rel = workspaceRelative(args.path);
        const before = await sandbox.readFile(`${WORKSPACE_DIR}/${rel}`);
        const count = before.split(args.old_text).length - 1;
        if (count !== 1) return fail(`old_text occurs ${count} times in ${rel}; it must occur exactly once`);
        await sandbox.writeFile(
          `${WORKSPACE_DIR}/${rel}`,
          before.replace(args.old_text, () => args.new_text),
        );
        return { output: `edited ${rel}`, changed: rel, isError: false };
      }
      case "run_command": {
        const args = parsed.data as z.infer<typeof argsSchemas.run_command>;
        const why = forbiddenCommand(args.command);
        if (why) return fail(`refused: ${why}`);
        const result = await sandbox.exec(args.command, {
          cwd: WORKSPACE_DIR,
          timeoutMs: (args.timeout_seconds ?? 120) * 1000,
          maxOutputBytes: 1 << 20,
        });
        const output = clip(
          `exit code ${result.exitCode}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
        );
        return { output, isError: result.exitCode !== 0 };
      }
    }
  } catch (error) {
    if (isSandboxError(error) && (error.code === "unavailable" || error.code === "interrupted")) throw error;
    return fail(error instanceof Error ? error.message : String(error));
  }
}

async function ensureParent(sandbox: Sandbox, rel: string): Promise<void> {
  const slash = rel.lastIndexOf("/");
  if (slash > 0) await sandbox.exec(["mkdir", "-p", `${WORKSPACE_DIR}/${rel.slice(0, slash)}`]);
}
