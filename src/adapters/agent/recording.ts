/**
 * Recording a real agent's rounds so they can be replayed offline: a wrapper
 * around any Agent that copies the workspace before the round, and after it
 * turns the Sandbox's changes into a `RecordedRound` (file contents and
 * deletions, the dependency install a changed manifest needs, usage, and for
 * a fix round the failing check it was fixing). The round is handed to `save`
 * (the Worker stores it as the artifact `<key>:recording`; `nightshift record`
 * collects a run's rounds into a session file).
 */
import type { Agent, AgentRequest } from "../../ports/agent.ts";
import { ok } from "../../ports/result.ts";
import { WORKSPACE_DIR } from "../../ports/sandbox.ts";
import type { RecordedRound } from "../../ports/recorded-session.ts";
import { captureBaseline, diffWorkspace, type WorkspaceChange } from "./workspace-diff.ts";

/** Pure: the first failing check's name in a verifier report (what a fix round was fixing). */
export function failingCheckOf(report: string | null): string | undefined {
  if (!report) return undefined;
  try {
    const parsed = JSON.parse(report) as { checks?: Array<{ name?: string; passed?: boolean }> };
    return parsed.checks?.find((c) => c.passed === false && c.name)?.name;
  } catch {
    return undefined;
  }
}

/** Pure: commands a replay must run because node_modules is not recorded. */
export function installCommandsFor(changes: readonly WorkspaceChange[]): string[] {
  const paths = new Set(changes.map((c) => c.path));
  if (paths.has("package-lock.json")) return ["npm ci"];
  if (paths.has("package.json")) return ["npm install"];
  return [];
}

export function recordingAgent(
  inner: Agent,
  save: (request: AgentRequest, round: RecordedRound) => Promise<void>,
): Agent {
  return {
    name: inner.name,
    async write(request) {
      const baseline = await captureBaseline(request.sandbox, `record-${request.runId}-${request.round}`);
      const result = await inner.write(request);
      if (!result.ok) return result;
      const { changes } = await diffWorkspace(request.sandbox, baseline);
      const edits: RecordedRound["edits"] = [];
      for (const change of changes) {
        if (change.kind === "deleted") edits.push({ path: change.path, delete: true });
        else
          edits.push({
            path: change.path,
            content: await request.sandbox.readFile(`${WORKSPACE_DIR}/${change.path}`),
          });
      }
      const expectReport = request.mode === "fix" ? failingCheckOf(request.report) : undefined;
      await save(request, {
        summary: result.value.summary,
        ...(expectReport ? { expectReport } : {}),
        edits,
        commands: installCommandsFor(changes),
        usage: result.value.usage,
      });
      const filesChanged = [...new Set([...result.value.filesChanged, ...changes.map((c) => c.path)])].sort();
      return ok({ ...result.value, filesChanged });
    },
  };
}
