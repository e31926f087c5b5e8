/**
 * `POST /__emulator/queue-delivery/:account/:queue`: a producer Worker's
 * runtime hands a batch of a queue whose consumer is another Worker to the
 * emulator (queue-options.ts, the forwarder), which runs that Worker's queue
 * handler. Authenticated by the queue's own delivery token, which only the
 * forwarder holds (not the producer's code, not the admin secret). A batch the
 * consumer did not fully take answers 500, so the forwarder retries it.
 */
import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { type Handler, json, jsonBody, param } from "../context.ts";
import { activeVersion } from "../deploy.ts";
import { CfApiError, CfCode } from "../envelope.ts";
import { scriptKey } from "../state.ts";

const Batch = z.object({
  messages: z.array(
    z.object({ id: z.string(), timestamp: z.number(), body: z.unknown(), attempts: z.number().int().min(1) }),
  ),
});

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const deliverQueueBatch: Handler = async (ctx, svc) => {
  const accountId = param(ctx, "account");
  const name = param(ctx, "queue");
  const queue = Object.values(svc.store.state.queues).find(
    (q) => q.accountId === accountId && q.name === name,
  );
  if (!queue?.deliveryToken || !ctx.bearer || !sameSecret(ctx.bearer, queue.deliveryToken))
    throw new CfApiError(401, CfCode.authentication, "Authentication error");
  const consumer = queue.consumers[0];
  const script = consumer ? svc.store.state.scripts[scriptKey(accountId, consumer.script)] : undefined;
  const version = script ? activeVersion(script) : undefined;
  if (!script || !version)
    throw new CfApiError(503, CfCode.workerNotFound, `Queue ${name} has no deployed consumer`);
  const { messages } = jsonBody(ctx, Batch);
  const lease = await svc.host.lease(scriptKey(accountId, script.name), version.id, () =>
    svc.versionSpec(script, version),
  );
  if (!lease.ok) throw new CfApiError(503, CfCode.scriptStartupFailed, lease.error);
  try {
    const worker = await lease.worker.mf.getWorker();
    const result = await worker.queue(
      name,
      messages.map((m) => ({ ...m, timestamp: new Date(m.timestamp) })),
    );
    const taken = result.outcome === "ok" && !result.retryBatch.retry && result.retryMessages.length === 0;
    return json({ outcome: result.outcome, delivered: taken }, taken ? 200 : 500);
  } finally {
    lease.release();
  }
};
