/**
 * The change an approver reads, recorded for every adapter (replay included):
 * a wrapper around any Agent that diffs the workspace around each round. Two
 * artifacts per round: `<key>:round-diff` (what this round changed) and
 * `<key>:diff` (the run's whole change so far, against the workspace as the
 * first round found it). The first-round copy lives in the Sandbox's /tmp,
 * which persists with the Sandbox; if the Sandbox was lost since, the round's
 * own diff is still recorded and the gate page says the net diff is missing.
 */
import type { Agent, AgentRequest } from "../../ports/agent.ts";
import { captureBaseline, diffWorkspace, existingBaseline } from "./workspace-diff.ts";

export type SaveDiff = (request: AgentRequest, kind: "diff" | "round-diff", body: string) => Promise<unknown>;

/** Where the first round's copy of the workspace is kept for the whole run. */
export function originTag(runId: string): string {
  return `origin-${runId}`;
}

export function diffingAgent(inner: Agent, save: SaveDiff): Agent {
  return {
    name: inner.name,
    async write(request) {
      const { sandbox } = request;
      // A retried first round starts from the restored pre-round workspace, so an existing
      // origin copy is the same state and is kept; only a first round makes one.
      const origin = await existingBaseline(sandbox, originTag(request.runId));
      const start =
        origin ??
        (request.mode === "write" ? await captureBaseline(sandbox, originTag(request.runId)) : null);
      const before = await captureBaseline(sandbox, `round-${request.runId}-${request.round}`);
      const result = await inner.write(request);
      if (!result.ok) return result;
      const round = await diffWorkspace(sandbox, before);
      await save(request, "round-diff", round.diff);
      if (start) await save(request, "diff", (await diffWorkspace(sandbox, start)).diff);
      return result;
    },
  };
}
