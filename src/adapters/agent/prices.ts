/**
 * Pure: tokens → dollars. A price table per model (USD per million tokens,
 * input and output), overridable per job (`agent.options.prices`), and the
 * worst-case cost of a call before it starts, so an adapter can refuse a call
 * the remaining budget cannot cover. Prices are list prices at the time of
 * writing; an operator pins their own in the job when they differ.
 */
import { z } from "zod";
import type { AgentUsage } from "../../ports/agent.ts";

export const priceSchema = z.strictObject({
  /** USD per 1 000 000 input tokens. */
  inputPerMTok: z.number().nonnegative(),
  /** USD per 1 000 000 output tokens. */
  outputPerMTok: z.number().nonnegative(),
});
export type Price = z.infer<typeof priceSchema>;
export const priceTableSchema = z.record(z.string(), priceSchema);
export type PriceTable = z.infer<typeof priceTableSchema>;

/** List prices (USD per MTok). Keys match a model id exactly or as a prefix ("gpt-4.1" covers "gpt-4.1-2025-04-14"). */
export const DEFAULT_PRICES: PriceTable = {
  "claude-opus-4": { inputPerMTok: 15, outputPerMTok: 75 },
  "claude-sonnet-4": { inputPerMTok: 3, outputPerMTok: 15 },
  "claude-3-5-haiku": { inputPerMTok: 0.8, outputPerMTok: 4 },
  "claude-haiku-4": { inputPerMTok: 1, outputPerMTok: 5 },
  "gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8 },
  "gpt-4.1-mini": { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  "gpt-4o": { inputPerMTok: 2.5, outputPerMTok: 10 },
  "gpt-4o-mini": { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  "gpt-5": { inputPerMTok: 1.25, outputPerMTok: 10 },
  "o4-mini": { inputPerMTok: 1.1, outputPerMTok: 4.4 },
  // Workers AI and local model servers: free at the point of call unless the job says otherwise.
  "@cf/": { inputPerMTok: 0, outputPerMTok: 0 },
};

/** The price of a model: exact key first, then the longest key that prefixes it; null when unknown. */
export function priceOf(model: string, table: PriceTable = DEFAULT_PRICES): Price | null {
  if (table[model]) return table[model];
  let best: string | null = null;
  for (const key of Object.keys(table)) {
    if (model.startsWith(key) && (best === null || key.length > best.length)) best = key;
  }
  return best === null ? null : table[best]!;
}

/** Dollars for a number of tokens at a price, rounded to a millionth of a dollar. */
export function costOf(price: Price | null, tokensIn: number, tokensOut: number): number {
  if (!price) return 0;
  const usd = (tokensIn * price.inputPerMTok + tokensOut * price.outputPerMTok) / 1_000_000;
  return Math.round(usd * 1_000_000) / 1_000_000;
}

export function addUsage(a: AgentUsage, b: AgentUsage): AgentUsage {
  return {
    tokensIn: a.tokensIn + b.tokensIn,
    tokensOut: a.tokensOut + b.tokensOut,
    costUsd: Math.round((a.costUsd + b.costUsd) * 1_000_000) / 1_000_000,
  };
}

export const ZERO_USAGE: AgentUsage = { tokensIn: 0, tokensOut: 0, costUsd: 0 };

/**
 * Whether a call may start: its prompt (estimated) plus the most it may write must fit in the
 * tokens left, and their worst-case price in the dollars left. Returns the reason when not.
 */
export function callFits(opts: {
  promptTokens: number;
  maxOutputTokens: number;
  price: Price | null;
  budgetLeft: { tokens: number; costUsd: number };
}): { ok: true } | { ok: false; reason: string } {
  const tokens = opts.promptTokens + opts.maxOutputTokens;
  if (tokens > opts.budgetLeft.tokens)
    return {
      ok: false,
      reason: `the next call may use ${tokens} tokens (prompt ~${opts.promptTokens} + up to ${opts.maxOutputTokens} out); ${opts.budgetLeft.tokens} are left`,
    };
  const usd = costOf(opts.price, opts.promptTokens, opts.maxOutputTokens);
  if (usd > opts.budgetLeft.costUsd)
    return {
      ok: false,
      reason: `the next call may cost $${usd}; $${opts.budgetLeft.costUsd.toFixed(4)} is left`,
    };
  return { ok: true };
}
