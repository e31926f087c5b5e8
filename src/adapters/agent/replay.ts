/**
 * The replay agent: applies a recorded session round by round inside the
 * run's Sandbox and reports the recorded token usage. Offline, deterministic,
 * and labelled as a replay wherever it appears. Round N of the run plays
 * round N of the recording; a fix round that expects a report checks that the
 * report it was given says so.
 */
import type { Agent, AgentRequest } from "../../ports/agent.ts";
import { err, ok } from "../../ports/result.ts";
import { WORKSPACE_DIR } from "../../ports/sandbox.ts";
import { sessionProblem, sessionSchema } from "../../ports/recorded-session.ts";

export const REPLAY_ADAPTER = "replay";

export function createReplayAgent(): Agent {
  return {
    name: REPLAY_ADAPTER,
    async write(request: AgentRequest) {
      const problem = sessionProblem(request.options.session);
      if (problem) {
        const where = ["agent.options.session", problem.path].filter(Boolean).join(".");
        return err({
          code: "refused",
          message: `the replay agent needs a recorded session: ${where}: ${problem.message}`,
        });
      }
      const session = sessionSchema.parse(request.options.session);
      const round = session.rounds[request.round - 1];
      if (!round) {
        return err({
          code: "agent_failed",
          message: `the recorded session has ${session.rounds.length} rounds; round ${request.round} was asked for`,
        });
      }
      if (round.expectReport !== undefined && !(request.report ?? "").includes(round.expectReport)) {
        return err({
          code: "agent_failed",
          message: `replay diverged: round ${request.round} was recorded fixing "${round.expectReport}", which the report given does not mention`,
        });
      }
      const cost = round.usage.tokensIn + round.usage.tokensOut;
      if (cost > request.budgetLeft.tokens || round.usage.costUsd > request.budgetLeft.costUsd) {
        return err({
          code: "budget_insufficient",
          message: `round ${request.round} needs ${cost} tokens / $${round.usage.costUsd}; the budget has less left`,
        });
      }
      for (const edit of round.edits) {
        const path = `${WORKSPACE_DIR}/${edit.path}`;
        if ("delete" in edit) await request.sandbox.deleteFile(path);
        else {
          const dir = path.slice(0, path.lastIndexOf("/"));
          if (dir !== WORKSPACE_DIR) await request.sandbox.exec(["mkdir", "-p", dir]);
          await request.sandbox.writeFile(path, edit.content);
        }
      }
      for (const command of round.commands) {
        const result = await request.sandbox.exec(command, { cwd: WORKSPACE_DIR, timeoutMs: 300_000 });
        if (result.exitCode !== 0) {
          return err({
            code: "agent_failed",
            message: `replayed command "${command}" exited ${result.exitCode}: ${result.stderr.slice(0, 500)}`,
          });
        }
      }
      return ok({
        summary: `[replay of ${session.recordedFrom}] ${round.summary}`,
        filesChanged: round.edits.map((e) => e.path),
        usage: round.usage,
        transcriptRef: null,
        replay: true,
      });
    },
  };
}
