/**
 * The tool-call loop shared by the LLM-API adapters: prompt in, then model
 * turn → tool calls run in the Sandbox → tool results back, until the model
 * stops calling tools, the step cap is reached, the step's time runs out, or
 * the budget cannot cover the next call (checked *before* each call, with the
 * prompt estimate plus the reply's maximum). Old tool output is summarised to
 * stay under the model's context window. Every call's tokens and cost are
 * reported, failures included, so the run's budget sees what was spent.
 */
import type { Agent, AgentErrorCode, AgentRequest, AgentUsage } from "../../ports/agent.ts";
import { err, ok, type Result } from "../../ports/result.ts";
import {
  type Conversation,
  conversationTokens,
  estimateTokens,
  fitToWindow,
  type ModelTurn,
} from "./conversation.ts";
import { ModelCallFailed } from "./model-http.ts";
import { addUsage, callFits, costOf, type PriceTable, priceOf, ZERO_USAGE } from "./prices.ts";
import { promptsFor } from "./prompts/render.ts";
import { runTool, TOOL_DEFINITIONS, type ToolDefinition } from "./tools.ts";

export interface ModelClient {
  readonly provider: string;
  readonly model: string;
  complete(
    conversation: Conversation,
    tools: readonly ToolDefinition[],
    opts: { maxOutputTokens: number },
  ): Promise<ModelTurn & { usageReported: boolean }>;
}

export interface LlmAgentSettings {
  /** Model calls per round at most (the step cap). */
  maxSteps: number;
  maxOutputTokens: number;
  /** The model's context window, in tokens. */
  contextWindow: number;
  prices: PriceTable;
  /** Wall time for the round; past it the loop stops with `timeout` (below the step's own limit). */
  timeLimitMs: number;
  /** Stores the transcript; returns its reference (D1 artifacts in the Worker). */
  saveTranscript?: (request: AgentRequest, transcript: string) => Promise<string>;
  now?: () => number;
}

type Failure = { code: AgentErrorCode; message: string; usage?: AgentUsage };

export function createLlmAgent(name: string, client: ModelClient, settings: LlmAgentSettings): Agent {
  const price = priceOf(client.model, settings.prices);
  const now = settings.now ?? Date.now;

  return {
    name,
    async write(request) {
      const started = now();
      const { system, user } = promptsFor(request);
      const conversation: Conversation = { system, messages: [{ role: "user", text: user }] };
      let usage: AgentUsage = ZERO_USAGE;
      const changed = new Set<string>();
      const finish = async (result: Result<{ summary: string }, Failure>) => {
        const transcriptRef = settings.saveTranscript
          ? await settings.saveTranscript(
              request,
              JSON.stringify({ model: client.model, conversation, usage }),
            )
          : null;
        if (!result.ok) return err({ ...result.error, usage });
        return ok({
          summary: result.value.summary,
          filesChanged: [...changed].sort(),
          usage,
          transcriptRef,
          replay: false,
        });
      };

      for (let step = 1; step <= settings.maxSteps; step++) {
        if (now() - started > settings.timeLimitMs)
          return finish(
            err({
              code: "timeout",
              message: `the agent ran out of its ${settings.timeLimitMs} ms after ${step - 1} model calls`,
            }),
          );
        const window = fitToWindow(conversation, settings.contextWindow - settings.maxOutputTokens);
        conversation.messages = window.conversation.messages;
        const promptTokens = conversationTokens(conversation);
        const fits = callFits({
          promptTokens,
          maxOutputTokens: settings.maxOutputTokens,
          price,
          budgetLeft: {
            tokens: request.budgetLeft.tokens - usage.tokensIn - usage.tokensOut,
            costUsd: request.budgetLeft.costUsd - usage.costUsd,
          },
        });
        if (!fits.ok)
          return finish(
            err({
              code: "budget_insufficient",
              message: `refused to start model call ${step}: ${fits.reason}`,
            }),
          );
        if (promptTokens + settings.maxOutputTokens > settings.contextWindow)
          return finish(
            err({
              code: "agent_failed",
              message: `the conversation (~${promptTokens} tokens) no longer fits the ${settings.contextWindow}-token window`,
            }),
          );

        let turn: ModelTurn & { usageReported: boolean };
        try {
          turn = await client.complete(conversation, TOOL_DEFINITIONS, {
            maxOutputTokens: settings.maxOutputTokens,
          });
        } catch (error) {
          if (error instanceof ModelCallFailed)
            return finish(
              err({
                code: "agent_failed",
                message: `${client.provider} call ${step} failed: ${error.message}`,
              }),
            );
          throw error;
        }
        // Servers that report no usage are charged by estimate, never for free.
        const tokensIn = turn.usageReported ? turn.usage.tokensIn : promptTokens;
        const tokensOut = turn.usageReported
          ? turn.usage.tokensOut
          : estimateTokens(turn.text + JSON.stringify(turn.toolCalls));
        usage = addUsage(usage, { tokensIn, tokensOut, costUsd: costOf(price, tokensIn, tokensOut) });
        conversation.messages.push({ role: "assistant", text: turn.text, toolCalls: turn.toolCalls });

        if (turn.toolCalls.length === 0) {
          const summary = turn.text.trim() || `(the model ended round ${request.round} without a summary)`;
          return finish(ok({ summary }));
        }
        for (const call of turn.toolCalls) {
          const outcome = await runTool(request.sandbox, call);
          if (outcome.changed) changed.add(outcome.changed);
          conversation.messages.push({
            role: "tool",
            callId: call.id,
            name: call.name,
            output: outcome.output,
          });
        }
      }
      // The cap stops a model that keeps calling tools; what it changed is verified like any round.
      return finish(
        ok({
          summary: `stopped at the step cap (${settings.maxSteps} model calls) with ${changed.size} files changed`,
        }),
      );
    },
  };
}
