/**
 * The gated end of the loop, performed: promotion (claim or deploy), the DNS
 * plan the `dns` / `rollback` gate shows, and applying the approved plan. Like
 * `perform.ts`, each function runs inside one durable step and turns the
 * outcome into a machine event.
 */
import { invariantBroken } from "../ports/invariant.ts";
import type { LoopContext, LoopEvent } from "../loop/types.ts";
import { type DesiredDns, type DnsPlan, dnsPlanSchema } from "../ports/dns.ts";
import { inversePlan } from "../dns/inverse.ts";
import type { Sandbox } from "../ports/sandbox.ts";
import { getArtifact, putArtifact } from "../store/artifacts.ts";
import { noteEarlyClaimAtPromote, observeRun, versionDrift } from "./bound-approval.ts";
import type { RunEnv } from "./run-env.ts";
import { type IdempotencyKey, subKey } from "../ports/vocabulary.ts";
import { verifyAt, withReport } from "./verify-report.ts";
import { ensureAt } from "./workspace.ts";
import type { VerifyReport } from "../ports/verifier.ts";
import { err, ok, type Result } from "../ports/result.ts";

/** Where a run keeps the inverse of the DNS change it applied: what `nightshift rollback` applies. */
export function rollbackRefOf(runId: string): string {
  return `${runId}:dns-rollback`;
}

export async function performPromote(
  env: RunEnv,
  key: IdempotencyKey,
  sandbox: Sandbox,
  ctx: LoopContext,
): Promise<LoopEvent> {
  const { ports } = env;
  // Before the approval takes effect: the live version must still be the verified one, and a
  // claim made before the approval is put on record.
  const live = await observeRun(env, ctx);
  await noteEarlyClaimAtPromote(env, ctx, live);
  const drift = versionDrift(ctx.verifiedVersionId, live.version, `${env.job.deploy.workerName}`);
  if (drift) return { type: "promote.failed", error: drift, at: ports.clock.now() };
  // The `deploy` strategy ships the verified snapshot again; a claim only looks.
  if (ctx.promotion === "deploy") await ensureAt(sandbox, ctx.verifiedSnapshotId);
  const result = await ports.deployer.promote({
    idempotencyKey: key,
    runId: env.runId,
    mode: ctx.promotion,
    workerName: env.job.deploy.workerName,
    config: env.job.deploy.config,
    account: ctx.account,
    deploymentUrl: ctx.deploymentUrl,
    sandbox,
    now: ports.clock.now(),
  });
  const at = ports.clock.now();
  if (!result.ok)
    return { type: "promote.failed", error: { code: result.error.code, message: result.error.message }, at };
  if (result.value.status === "pending") return { type: "promote.pending", how: result.value.how, at };
  const { url } = result.value;
  // A deploy into the organisation's account is production: it must pass the job's probes there too.
  if (ctx.promotion === "deploy" && env.job.verify.probes.length > 0) {
    const probed = await probeUrl(env, subKey(key, "production"), sandbox, url);
    const event: LoopEvent = probed.failed
      ? {
          type: "promote.failed",
          error: { code: "production_verify_failed", message: `${url} fails its probes (${probed.failed})` },
          at: ports.clock.now(),
        }
      : await promoted(env, ctx, url);
    return withReport(env, event, probed.report);
  }
  return promoted(env, ctx, url);
}

/** The promotion done: what the promoted Worker serves now, or that it is not the verified version. */
async function promoted(env: RunEnv, ctx: LoopContext, url: string): Promise<LoopEvent> {
  const { ports } = env;
  // What the promoted Worker serves now: the DNS change is approved for it and applied only to it.
  const live = await ports.deployer.observe({
    runId: env.runId,
    workerName: env.job.deploy.workerName,
    account: ctx.account,
    in: "organisation",
  });
  if (ctx.promotion === "claim") {
    const after = versionDrift(
      ctx.verifiedVersionId,
      live.version,
      `the claimed ${env.job.deploy.workerName}`,
    );
    if (after) return { type: "promote.failed", error: after, at: ports.clock.now() };
  }
  return { type: "promote.done", url, versionId: live.version?.id ?? null, at: ports.clock.now() };
}

/**
 * The requested hostname: the run's input `hostname` when the request names one (a webhook,
 * an API call), else the job's. The plan serves the job's hostname; policy blocks a mismatch.
 */
export function desiredDns(job: RunEnv["job"], input: unknown): DesiredDns {
  const dns = job.dns;
  if (!dns) invariantBroken(`job ${job.name} has no dns section`);
  const asked =
    input && typeof input === "object" && typeof (input as { hostname?: unknown }).hostname === "string"
      ? (input as { hostname: string }).hostname
      : dns.hostname;
  return {
    zone: dns.zone,
    requestedHostname: asked,
    hostname: dns.hostname,
    mode: dns.mode,
    workerName: job.deploy.workerName,
    records: dns.records,
    deletes: dns.delete,
    allow: {
      hostnames: [dns.hostname, ...dns.allowedHostnames],
      delete: dns.allowDelete,
      wildcard: dns.allowWildcard,
      apex: dns.allowApex,
    },
  };
}

export async function performPlanDns(env: RunEnv, key: IdempotencyKey, ctx: LoopContext): Promise<LoopEvent> {
  const { ports, db, runId } = env;
  const planned = ctx.rollbackOf
    ? await rollbackPlan(db, ctx.rollbackOf)
    : await ports.dns.plan({ runId, desired: desiredDns(env.job, env.input) });
  const at = ports.clock.now();
  if (!planned.ok) return { type: "dns.failed", error: planned.error, at };
  const plan = planned.value;
  const planRef = await putArtifact(db, {
    ref: `${key}:dns-plan`,
    runId,
    kind: ctx.rollbackOf ? "dns-rollback-plan" : "dns-plan",
    body: JSON.stringify(plan),
    at,
  });
  const blocking = plan.findings.filter((f) => f.blocking).map((f) => f.message);
  return {
    type: "dns.planned",
    planRef,
    changes: plan.changes.filter((c) => c.action !== "noop").length,
    blocked: plan.blocked ? blocking.join("; ") || "a policy check failed" : null,
    at,
  };
}

async function rollbackPlan(db: D1Database, of: string): Promise<Result<DnsPlan>> {
  const stored = await getArtifact(db, rollbackRefOf(of));
  if (!stored) return err({ code: "no_rollback", message: `run ${of} recorded no DNS change to roll back` });
  return ok(dnsPlanSchema.parse(JSON.parse(stored.body)));
}

export async function performApplyDns(
  env: RunEnv,
  key: IdempotencyKey,
  sandbox: Sandbox,
  ctx: LoopContext,
): Promise<LoopEvent> {
  const { ports, db, runId } = env;
  const stored = ctx.dnsPlanRef ? await getArtifact(db, ctx.dnsPlanRef) : null;
  if (!stored) invariantBroken(`run ${runId} has no DNS plan to apply (${ctx.dnsPlanRef ?? "none"})`);
  const plan = dnsPlanSchema.parse(JSON.parse(stored.body));
  // The DNS gate approved pointing at the promoted version: it must still be the one live.
  if (!ctx.rollbackOf) {
    const target = await ports.deployer.observe({
      runId,
      workerName: env.job.deploy.workerName,
      account: ctx.account,
      in: "organisation",
    });
    const drift = versionDrift(
      ctx.promotedVersionId,
      target.version,
      `the target Worker ${env.job.deploy.workerName}`,
    );
    if (drift) return { type: "dns.failed", error: drift, at: ports.clock.now() };
  }
  const result = await ports.dns.apply({ idempotencyKey: key, runId, plan });
  if (!result.ok) return { type: "dns.failed", error: result.error, at: ports.clock.now() };
  // The inverse is recorded before anything else can fail, so a change that serves badly can
  // still be rolled back. A rollback run records none: its own inverse is the original change.
  const inverse = result.value.inverse;
  const rollbackRef =
    ctx.rollbackOf || inverse.length === 0
      ? null
      : await putArtifact(db, {
          ref: rollbackRefOf(runId),
          runId,
          kind: "dns-rollback",
          body: JSON.stringify(inversePlan(plan, result.value, ports.clock.now())),
          at: ports.clock.now(),
        });
  if (!ctx.rollbackOf && env.job.verify.probes.length > 0) {
    const url = `https://${plan.hostname}`;
    const probed = await probeUrl(env, subKey(key, "hostname"), sandbox, url);
    const event: LoopEvent = probed.failed
      ? {
          type: "dns.failed",
          error: {
            code: "dns_verify_failed",
            message: `the DNS change is applied but ${url} fails its probes (${probed.failed}); \`nightshift rollback ${runId}\` undoes it`,
          },
          at: ports.clock.now(),
        }
      : { type: "dns.applied", rollbackRef, at: ports.clock.now() };
    return withReport(env, event, probed.report);
  }
  return { type: "dns.applied", rollbackRef, at: ports.clock.now() };
}

/** Runs the job's probes against `url`: the report to keep, and the failed checks' names or null. */
async function probeUrl(
  env: RunEnv,
  key: IdempotencyKey,
  sandbox: Sandbox,
  url: string,
): Promise<{ report: { key: IdempotencyKey; body: VerifyReport; at: number }; failed: string | null }> {
  const body = await verifyAt(env, key, sandbox, { url, commands: [] });
  const report = { key, body, at: env.ports.clock.now() };
  if (body.passed) return { report, failed: null };
  const failed = body.checks
    .filter((c) => !c.passed)
    .map((c) => c.name)
    .join(", ");
  return { report, failed };
}
