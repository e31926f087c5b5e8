/**
 * Runs a coding-agent CLI inside the run's Sandbox: prompt in (from the
 * templates), its JSON event stream parsed chunk by chunk as it arrives, the
 * workspace diff and files changed from the Sandbox, tokens and cost out. A
 * CLI that outlives the time limit is killed by the Sandbox and reported as
 * `timeout` (with the usage seen so far). Model APIs are reached through the
 * egress path: locally the proxy (base-URL variables point at it, the key is a
 * placeholder), in production the Sandbox's outbound handlers.
 */
import type { Agent, AgentRequest } from "../../../ports/agent.ts";
import { err, ok } from "../../../ports/result.ts";
import { isSandboxError, WORKSPACE_DIR } from "../../../ports/sandbox.ts";
import { costOf, type PriceTable, priceOf } from "../prices.ts";
import { promptsFor } from "../prompts/render.ts";
import { captureBaseline, diffWorkspace } from "../workspace-diff.ts";
import { type CliEventParser, JsonLineFeed } from "./stream.ts";

export type Egress = { kind: "proxy"; url: string } | { kind: "outbound-handlers" };

export interface CliSpec {
  name: string;
  defaultCommand: string;
  argv(args: { command: string; prompt: string; model: string | null; maxTurns: number }): string[];
  /** Variables that send the CLI's model traffic through the egress path. Never a real key. */
  env(egress: Egress): Record<string, string>;
  parser(): CliEventParser;
}

export interface CliAgentSettings {
  /** The CLI binary (inside the Sandbox). */
  command?: string;
  model: string | null;
  maxTurns: number;
  /** Kill the CLI after this long (kept below the write step's own timeout). */
  timeLimitMs: number;
  egress: Egress;
  prices: PriceTable;
  /** Extra variables (non-secret) for the CLI. */
  env?: Record<string, string>;
  saveArtifact?: (request: AgentRequest, kind: "transcript", body: string) => Promise<string>;
}

export function createCliAgent(spec: CliSpec, settings: CliAgentSettings): Agent {
  return {
    name: spec.name,
    async write(request) {
      if (request.budgetLeft.tokens <= 0 || request.budgetLeft.costUsd <= 0)
        return err({ code: "budget_insufficient", message: `no budget left to start ${spec.name}` });
      const { system, user } = promptsFor(request);
      const prompt = `${system}\n\n${user}`;
      const baseline = await captureBaseline(request.sandbox, `${request.runId}-${request.round}`);
      const feed = new JsonLineFeed(spec.parser());
      const stderr: string[] = [];
      let exitCode: number | null = null;
      let killed: string | null = null;
      try {
        const result = await request.sandbox.exec(
          spec.argv({
            command: settings.command ?? spec.defaultCommand,
            prompt,
            model: settings.model,
            maxTurns: settings.maxTurns,
          }),
          {
            cwd: WORKSPACE_DIR,
            env: { ...settings.env, ...spec.env(settings.egress), ...proxyEnv(settings.egress) },
            timeoutMs: settings.timeLimitMs,
            maxOutputBytes: 64 << 20,
            onOutput: (stream, data) => (stream === "stdout" ? feed.push(data) : stderr.push(data)),
          },
        );
        exitCode = result.exitCode;
        // Adapters without streaming deliver everything at the end; feed it if nothing came through onOutput.
        if (feed.lines.length === 0 && result.stdout) feed.push(result.stdout);
        if (stderr.length === 0 && result.stderr) stderr.push(result.stderr);
      } catch (error) {
        if (!isSandboxError(error) || !["timeout", "output_limit", "killed"].includes(error.code))
          throw error;
        killed = error.code;
      }
      const outcome = feed.end();
      const price = priceOf(settings.model ?? "", settings.prices);
      const usage = {
        tokensIn: outcome.tokensIn,
        tokensOut: outcome.tokensOut,
        costUsd: outcome.costUsd ?? costOf(price, outcome.tokensIn, outcome.tokensOut),
      };
      const transcript = [
        ...feed.lines,
        ...(stderr.length ? ["--- stderr", stderr.join("").slice(-20_000)] : []),
      ].join("\n");
      const transcriptRef = settings.saveArtifact
        ? await settings.saveArtifact(request, "transcript", transcript)
        : null;
      if (killed === "timeout")
        return err({
          code: "timeout",
          message: `${spec.name} was killed at the ${settings.timeLimitMs} ms limit`,
          usage,
        });
      if (killed)
        return err({
          code: "agent_failed",
          message: `${spec.name} was stopped by the Sandbox (${killed})`,
          usage,
        });
      if (exitCode !== 0 || outcome.error || !outcome.finished) {
        const why =
          outcome.error ?? (exitCode !== 0 ? `exited ${exitCode}` : "ended without its final event");
        const tail = stderr.join("").trim().slice(-500);
        return err({
          code: "agent_failed",
          message: `${spec.name}: ${why}${tail ? ` — ${tail}` : ""}`,
          usage,
        });
      }
      // The diff itself is recorded for every adapter alike (diffing.ts); here only the file list.
      const { changes } = await diffWorkspace(request.sandbox, baseline);
      return ok({
        summary: outcome.summary || `${spec.name} finished round ${request.round}`,
        filesChanged: changes.map((c) => c.path),
        usage,
        transcriptRef,
        replay: false,
      });
    },
  };
}

/** Anything else the CLI reaches goes through the proxy's allowlist (local mode only). */
function proxyEnv(egress: Egress): Record<string, string> {
  if (egress.kind !== "proxy") return {};
  return {
    HTTPS_PROXY: egress.url,
    https_proxy: egress.url,
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
  };
}
