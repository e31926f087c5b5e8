/** `verify`: the deployment probed, its report bound to the version live while it ran. */
import type { LoopEvent } from "../loop/types.ts";
import { boundReport, observeRun } from "./bound-approval.ts";
import { failingSummary, reportRefOf, verifyAt, withReport } from "./verify-report.ts";
import { timed, type Work } from "./work.ts";
import { ensureAt } from "./workspace.ts";

export async function performVerify(work: Work): Promise<LoopEvent> {
  const { env, key, name, sandbox, ctx, elapsed } = work;
  const { ports, runId } = env;
  // Probes only talk to the deployment; commands run on the workspace, which must be the
  // snapshot that was deployed (the deploy left wrangler's build output in it).
  if (env.job.verify.commands.length > 0) await ensureAt(sandbox, ctx.snapshotId);
  // The version live while the probes ran, read before and after them: what an approval binds to.
  const before = await observeRun(env, ctx);
  const probed = await timed(runId, name, "verifier", () =>
    verifyAt(env, key, sandbox, {
      // Once promoted, what is live is the promoted Worker (a DNS target re-verified).
      url: ctx.promotedUrl ?? ctx.deploymentUrl ?? "",
      commands: env.job.verify.commands,
    }),
  );
  const report = boundReport(probed, before.version, (await observeRun(env, ctx)).version);
  const at = ports.clock.now();
  const reportRef = reportRefOf(key);
  const event = report.passed
    ? { type: "verify.passed" as const, reportRef, versionId: report.versionId, sandboxMs: elapsed(), at }
    : {
        type: "verify.failed" as const,
        reportRef,
        failing: failingSummary(report),
        sandboxMs: elapsed(),
        at,
      };
  // The report is written by this step's journal, with the event that refers to it.
  return withReport(env, event, { key, body: report, at });
}
