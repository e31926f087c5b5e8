/**
 * Cron triggers: wrangler's `PUT …/scripts/:script/schedules` (the whole set,
 * replacing the old one) and its GET. The emulator runs no clock for them; the
 * admin API fires a Worker's scheduled handler on demand (`fireScheduled`).
 */
import { z } from "zod";
import { callerAccount, type Handler, json, jsonBody, param } from "../context.ts";
import { activeVersion, requireScript } from "../deploy.ts";
import { CfApiError, CfCode, ok } from "../envelope.ts";
import { scriptKey } from "../state.ts";
import { scriptForHost } from "../worker-proxy.ts";

/** Five or six space-separated fields, or a Cloudflare `@` nickname; the runtime checks nothing further here. */
const CRON = /^(@\w+|(\S+\s+){4,5}\S+)$/;

const SchedulesBody = z.array(z.object({ cron: z.string().trim().regex(CRON, "not a cron expression") }));

export const putSchedules: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  const body = jsonBody(ctx, SchedulesBody);
  const now = svc.now().toISOString();
  const before = new Map((script.schedules ?? []).map((s) => [s.cron, s.createdOn]));
  script.schedules = body.map(({ cron }) => ({ cron, createdOn: before.get(cron) ?? now, modifiedOn: now }));
  svc.store.save();
  return getSchedules(ctx, svc);
};

export const getSchedules: Handler = (ctx, svc) => {
  const script = requireScript(svc, callerAccount(ctx).id, param(ctx, "script"));
  return json(
    ok({
      schedules: (script.schedules ?? []).map((s) => ({
        cron: s.cron,
        created_on: s.createdOn,
        modified_on: s.modifiedOn,
      })),
    }),
  );
};

/**
 * `POST /__emulator/workers/:host/scheduled?cron=…` (admin): runs the scheduled
 * handler of the Worker serving `host` once, as its cron would. `cron` must be
 * one of its schedules; it may be left out when it has exactly one.
 */
export const fireScheduled: Handler = async (ctx, svc) => {
  const host = param(ctx, "host");
  const script = scriptForHost(svc, host);
  const version = script ? activeVersion(script) : undefined;
  if (!script || !version) throw new CfApiError(404, CfCode.workerNotFound, `No Worker serves ${host}`);
  const crons = (script.schedules ?? []).map((s) => s.cron);
  const cron = ctx.query.get("cron") ?? (crons.length === 1 ? crons[0] : undefined);
  if (!cron || !crons.includes(cron)) {
    throw new CfApiError(
      400,
      CfCode.invalidRequest,
      crons.length
        ? `cron must be one of this Worker's schedules: ${crons.join(", ")}`
        : `Worker ${script.name} has no cron triggers (triggers.crons in its wrangler config)`,
    );
  }
  const lease = await svc.host.lease(scriptKey(script.accountId, script.name), version.id, () =>
    svc.versionSpec(script, version),
  );
  if (!lease.ok) throw new CfApiError(500, CfCode.scriptStartupFailed, lease.error);
  try {
    const worker = await lease.worker.mf.getWorker();
    const scheduledTime = svc.now();
    const result = await worker.scheduled({ cron, scheduledTime });
    return json({ script: script.name, cron, scheduledTime: scheduledTime.toISOString(), ...result });
  } finally {
    lease.release();
  }
};
