/**
 * A step's log, as the API (`GET /api/runs/:id/steps/:step/log`), the CLI
 * (`nightshift logs <run> --step <step>`) and the inbox's step page show it:
 * every artifact the step kept (wrangler's output, the setup log, the agent's
 * transcript and diff, the verify report), each as text a person reads, with
 * the Sandbox's paths made relative to the job's project. Pure.
 */
import { projectRelative } from "../jobs/display-paths.ts";
import type { Job } from "../jobs/schema.ts";
import type { Check } from "../ports/verifier.ts";

export interface StepArtifact {
  ref: string;
  kind: string;
  body: string;
}

export interface StepLogPart {
  ref: string;
  kind: string;
  /** What it is, in words ("wrangler's output"). */
  title: string;
  text: string;
}

const TITLES: Record<string, string> = {
  "setup-log": "fetching the source and setup",
  "deploy-log": "wrangler's output (deploy)",
  "promote-log": "wrangler's output (promotion)",
  "claim-check": "the claim check",
  "agent-transcript": "the agent's transcript",
  "round-diff": "this round's change",
  diff: "the run's whole change",
  "verify-report": "the verify report",
};

/** The step's artifacts as readable parts, in the order they were kept. */
export function stepLogParts(
  artifacts: readonly StepArtifact[],
  source: Job["source"] | null,
): StepLogPart[] {
  return artifacts.map((a) => ({
    ref: a.ref,
    kind: a.kind,
    title: TITLES[a.kind] ?? a.kind,
    text: projectRelative(a.kind === "verify-report" ? reportText(a.body) : a.body, source),
  }));
}

/** A stored report read back: any field may be missing. */
type ReportCheck = Partial<Check>;

/** A verify report, one check a line, the failing ones with what came back (the JSON when it is not one). */
export function reportText(body: string): string {
  let report: { passed?: boolean; url?: string; checks?: ReportCheck[] };
  try {
    report = JSON.parse(body);
  } catch {
    return body;
  }
  if (!Array.isArray(report.checks)) return body;
  const lines = [`${report.passed ? "passed" : "failed"}${report.url ? `: ${report.url}` : ""}`];
  for (const c of report.checks) {
    lines.push(`${c.passed ? "PASS" : "FAIL"}  ${c.kind ?? "check"} ${c.name ?? ""}`.trimEnd());
    if (!c.passed) {
      lines.push(`      expected ${c.expected ?? "?"}`, `      got      ${c.actual ?? "?"}`);
      if (c.excerpt) lines.push(...c.excerpt.split("\n").map((l) => `      | ${l}`));
    }
  }
  return lines.join("\n");
}
