/**
 * Pure: filling the prompt templates. `{{name}}` placeholders only; a missing
 * value is an error (a prompt with a hole in it is a bug, not a prompt). The
 * report is rendered from the verifier's JSON into a list the model reads
 * easily; anything else passes through as text.
 */
import type { AgentRequest } from "../../../ports/agent.ts";
import { WORKSPACE_DIR } from "../../../ports/sandbox.ts";
import { FIX_TEMPLATE, SYSTEM_TEMPLATE, WRITE_TEMPLATE } from "./templates.ts";
import type { Check } from "../../../ports/verifier.ts";

export function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`prompt template needs a value for {{${name}}}`);
    return value;
  });
}

/** A stored report read back: any field may be missing. */
type ReportCheck = Partial<Check>;

/** The verification report as a readable list, failing checks first; raw text when it is not the verifier's JSON. */
export function renderReport(report: string | null): string {
  if (!report) return "(no report)";
  let parsed: { passed?: boolean; url?: string; checks?: ReportCheck[] };
  try {
    parsed = JSON.parse(report);
  } catch {
    return report.slice(0, 8_000);
  }
  if (!Array.isArray(parsed.checks)) return report.slice(0, 8_000);
  const checks = [...parsed.checks].sort((a, b) => Number(a.passed) - Number(b.passed));
  const lines = [`Deployment: ${parsed.url ?? "(none)"} — ${parsed.passed ? "passed" : "FAILED"}`];
  for (const c of checks) {
    lines.push(`- [${c.passed ? "pass" : "FAIL"}] ${c.kind ?? "check"} "${c.name ?? "?"}"`);
    if (!c.passed) {
      lines.push(`  expected: ${c.expected ?? ""}`);
      lines.push(`  actual:   ${c.actual ?? ""}`);
      if (c.excerpt) lines.push(`  excerpt:  ${c.excerpt.slice(0, 2_000).replace(/\n/g, "\n            ")}`);
    }
  }
  return lines.join("\n");
}

export function renderBudget(left: AgentRequest["budgetLeft"]): string {
  return `${left.tokens} tokens, $${left.costUsd.toFixed(4)}. Calls that would exceed it are refused.`;
}

/** The system prompt and the round's user prompt for a request. */
export function promptsFor(request: AgentRequest): { system: string; user: string } {
  const system = render(SYSTEM_TEMPLATE, {
    workspace: WORKSPACE_DIR,
    forbidden: "wrangler deploy, wrangler deploy --temporary, wrangler versions deploy",
  });
  const values = {
    instructions: request.instructions,
    round: String(request.round),
    budget: renderBudget(request.budgetLeft),
    report: renderReport(request.report),
  };
  const user = render(request.mode === "fix" ? FIX_TEMPLATE : WRITE_TEMPLATE, values);
  return { system, user };
}
