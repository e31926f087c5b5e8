/**
 * Verifying and keeping the report, the one way every verification does it
 * (the verify step, a `deploy` promotion probing production, applyDns probing
 * the hostname it just pointed): the job's probes against a URL, and the report
 * stored under `<key>:report` in the journal's batch with the step's event
 * (`withArtifacts`), so the event and the report are written together.
 */
import type { LoopEvent } from "../loop/types.ts";
import type { CommandCheck } from "../jobs/schema.ts";
import type { Sandbox } from "../ports/sandbox.ts";
import type { VerifyReport } from "../ports/verifier.ts";
import type { IdempotencyKey } from "../ports/vocabulary.ts";
import { withArtifacts } from "./journal.ts";
import type { RunEnv } from "./run-env.ts";

/** Where the report of the verification made under `key` is kept. */
export function reportRefOf(key: IdempotencyKey): string {
  return `${key}:report`;
}

/** Runs the job's probes, and `commands` in the Sandbox, against `url`. */
export function verifyAt(
  env: RunEnv,
  key: IdempotencyKey,
  sandbox: Sandbox,
  target: { url: string; commands: readonly CommandCheck[] },
): Promise<VerifyReport> {
  return env.ports.verifier.verify({
    idempotencyKey: key,
    runId: env.runId,
    url: target.url,
    probes: env.job.verify.probes,
    commands: target.commands,
    sandbox,
  });
}

/** How many failing checks a summary names; the report has them all. */
const SUMMARY_CHECKS = 3;
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The failing checks in one line, carried by `verify.failed` itself so every reader of the
 * event (the API, the CLI, the inbox's timeline and its live script) shows why without
 * fetching the report: "2 of 5 checks failed: home answers: expected status 200, got status 500; …".
 */
export function failingSummary(report: VerifyReport): string {
  const failing = report.checks.filter((c) => !c.passed);
  if (failing.length === 0) return report.checks.length ? "no check failed" : "no checks ran";
  const named = failing
    .slice(0, SUMMARY_CHECKS)
    .map((c) => `${clip(c.name, 60)}: expected ${clip(c.expected, 80)}, got ${clip(c.actual, 120)}`);
  const more = failing.length > SUMMARY_CHECKS ? `; and ${failing.length - SUMMARY_CHECKS} more` : "";
  const of = `${failing.length} of ${report.checks.length} check${report.checks.length === 1 ? "" : "s"} failed`;
  return `${of}: ${named.join("; ")}${more}`;
}

/** Marks the report to be written by the journal of the step that produced `event`; returns the event. */
export function withReport<E extends LoopEvent>(
  env: RunEnv,
  event: E,
  report: { key: IdempotencyKey; body: VerifyReport; at: number },
): E {
  return withArtifacts(event, {
    ref: reportRefOf(report.key),
    runId: env.runId,
    kind: "verify-report",
    body: JSON.stringify(report.body),
    at: report.at,
  });
}
