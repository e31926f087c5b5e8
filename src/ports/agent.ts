/**
 * The Agent port: the coding agent that changes the workspace in the write
 * and fix steps. Adapters: coding-agent CLIs in the Sandbox, LLM APIs, replay.
 */
import type { IdempotencyKey } from "./vocabulary.ts";
import { z } from "zod";
import type { Result } from "./result.ts";
import type { Sandbox } from "./sandbox.ts";

export const AGENT_ERROR_CODES = ["agent_failed", "budget_insufficient", "timeout", "refused"] as const;
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

export const usageSchema = z.object({
  tokensIn: z.number().int().nonnegative(),
  tokensOut: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
});
export type AgentUsage = z.infer<typeof usageSchema>;

export const agentOutputSchema = z.object({
  summary: z.string(),
  filesChanged: z.array(z.string()),
  usage: usageSchema,
  /** Transcript stored by reference (step results stay small). */
  transcriptRef: z.string().nullable(),
  /** Marks a replayed session wherever it appears. */
  replay: z.boolean().default(false),
});
export type AgentOutput = z.infer<typeof agentOutputSchema>;

export interface AgentRequest {
  idempotencyKey: IdempotencyKey;
  runId: string;
  /** 1 for the first write, 2+ for fix rounds. */
  round: number;
  mode: "write" | "fix";
  instructions: string;
  options: Record<string, unknown>;
  /** The last verification report (or build failure), as text the agent reads. */
  report: string | null;
  budgetLeft: { tokens: number; costUsd: number };
  sandbox: Sandbox;
}

export interface Agent {
  readonly name: string;
  write(
    request: AgentRequest,
  ): Promise<Result<AgentOutput, { code: AgentErrorCode; message: string; usage?: AgentUsage }>>;
}
