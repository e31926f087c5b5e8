/**
 * Queues: create, list (with wrangler's `name=` filter), get, delete, and the
 * Worker consumers wrangler registers after a deploy (`…/queues/:id/consumers`).
 * Records live in the store per account; the messages themselves live in the
 * Miniflare of the Worker that produces and consumes them (queue-options.ts).
 * A change to a queue's consumers restarts the consuming Worker, because
 * Miniflare takes its consumers at start (the next request starts it again).
 */
import { z } from "zod";
import { limitOf, temporaryAccountSupport } from "../../../jobs/temporary-account-support.ts";
import { callerAccount, type Handler, json, jsonBody, param, type Services } from "../context.ts";
import { activeVersion } from "../deploy.ts";
import { CfApiError, CfCode, ok, paginate } from "../envelope.ts";
import { newSecret } from "../../bearer-secret.ts";
import { hexId } from "../ids.ts";
import { type AccountRecord, type QueueConsumerRecord, type QueueRecord, scriptKey } from "../state.ts";

/** Queues' own error codes (developers.cloudflare.com/queues/reference/error-codes/). */
export const QueueCode = {
  notFound: 10104,
  /** "Free tier limit exceeded": the closest the Queues table has to an account quota. */
  limitExceeded: 10253,
} as const;

const QUEUE_NAME = /^[a-zA-Z0-9_-]{1,63}$/;

function accountQueues(svc: Services, accountId: string): QueueRecord[] {
  return Object.values(svc.store.state.queues)
    .filter((q) => q.accountId === accountId)
    .sort((a, b) => a.createdOn.localeCompare(b.createdOn) || a.name.localeCompare(b.name));
}

/** Workers whose serving version has a `queue` binding to `queue` (Cloudflare lists them as producers). */
function producersOf(svc: Services, queue: QueueRecord): { type: "worker"; script: string }[] {
  return svc.store
    .scriptsOf(queue.accountId)
    .filter((s) => {
      const version = activeVersion(s);
      return version?.bindings.some((b) => b.type === "queue" && b.queue_name === queue.name);
    })
    .map((s) => ({ type: "worker", script: s.name }));
}

function consumerResult(queue: QueueRecord, c: QueueConsumerRecord) {
  return {
    consumer_id: c.id,
    type: "worker",
    script: c.script,
    queue_id: queue.id,
    queue_name: queue.name,
    dead_letter_queue: c.deadLetterQueue ?? "",
    settings: c.settings,
    created_on: c.createdOn,
  };
}

function queueResult(svc: Services, queue: QueueRecord) {
  const producers = producersOf(svc, queue);
  return {
    queue_id: queue.id,
    queue_name: queue.name,
    created_on: queue.createdOn,
    modified_on: queue.modifiedOn,
    settings: queue.settings,
    producers,
    producers_total_count: producers.length,
    consumers: queue.consumers.map((c) => consumerResult(queue, c)),
    consumers_total_count: queue.consumers.length,
  };
}

function requireQueue(svc: Services, account: AccountRecord, id: string): QueueRecord {
  const queue = svc.store.state.queues[id];
  if (!queue || queue.accountId !== account.id)
    throw new CfApiError(404, QueueCode.notFound, `Queue ${id} does not exist`);
  return queue;
}

/**
 * Miniflare reads consumers at start: stop the Workers using `queue` (its
 * producers, whose runtime may forward to another Worker, and `scripts`) so
 * their next request starts them with the new set.
 */
async function restartQueueUsers(svc: Services, queue: QueueRecord, scripts: string[]): Promise<void> {
  const names = new Set([...scripts, ...producersOf(svc, queue).map((p) => p.script)]);
  for (const name of names) await svc.host.stop(scriptKey(queue.accountId, name));
}

export const listQueues: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const names = ctx.query.getAll("name");
  const all = accountQueues(svc, account.id)
    .filter((q) => names.length === 0 || names.includes(q.name))
    .map((q) => queueResult(svc, q));
  const { page, info } = paginate(all, ctx.query, 100);
  return json(ok(page, info));
};

const CreateBody = z.object({
  queue_name: z.string().regex(QUEUE_NAME, "a queue name is 1-63 letters, digits, - or _"),
  settings: z.record(z.string(), z.unknown()).optional(),
});

export const createQueue: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const body = jsonBody(ctx, CreateBody);
  const existing = accountQueues(svc, account.id);
  if (existing.some((q) => q.name === body.queue_name))
    throw new CfApiError(400, CfCode.invalidRequest, `A queue named ${body.queue_name} already exists`);
  const max = limitOf("queues", "queues");
  if (account.temporary && existing.length >= max) {
    const limit = temporaryAccountSupport.resources.find((r) => r.id === "queues")?.limit ?? "";
    throw new CfApiError(
      400,
      QueueCode.limitExceeded,
      `Queue limit exceeded: a temporary account may have ${max} queues (${limit}); delete one or claim the account`,
    );
  }
  const now = svc.now().toISOString();
  const queue: QueueRecord = {
    id: hexId(),
    accountId: account.id,
    name: body.queue_name,
    createdOn: now,
    modifiedOn: now,
    settings: body.settings ?? {},
    consumers: [],
    deliveryToken: newSecret(),
  };
  svc.store.state.queues[queue.id] = queue;
  svc.store.save();
  return json(ok(queueResult(svc, queue)));
};

export const getQueue: Handler = (ctx, svc) => {
  const queue = requireQueue(svc, callerAccount(ctx), param(ctx, "queue"));
  return json(ok(queueResult(svc, queue)));
};

export const deleteQueue: Handler = async (ctx, svc) => {
  const account = callerAccount(ctx);
  const queue = requireQueue(svc, account, param(ctx, "queue"));
  delete svc.store.state.queues[queue.id];
  svc.store.save();
  await restartQueueUsers(
    svc,
    queue,
    queue.consumers.map((c) => c.script),
  );
  return json(ok(null));
};

const ConsumerBody = z.looseObject({
  type: z.literal("worker", { error: 'only consumers of type "worker" are emulated' }).default("worker"),
  script_name: z.string().min(1).optional(),
  script: z.string().min(1).optional(),
  dead_letter_queue: z.string().optional(),
  settings: z.record(z.string(), z.unknown()).default({}),
});

function consumerFromBody(
  body: z.infer<typeof ConsumerBody>,
): { script: string } & Omit<QueueConsumerRecord, "id" | "createdOn" | "script"> {
  const script = body.script_name ?? body.script;
  if (!script) throw new CfApiError(400, CfCode.invalidRequest, "A worker consumer needs script_name");
  const settings = Object.fromEntries(
    Object.entries(body.settings).filter(([, v]) => v !== undefined && v !== null),
  );
  return { script, settings, deadLetterQueue: body.dead_letter_queue || null };
}

export const listConsumers: Handler = (ctx, svc) => {
  const queue = requireQueue(svc, callerAccount(ctx), param(ctx, "queue"));
  return json(ok(queue.consumers.map((c) => consumerResult(queue, c))));
};

export const createConsumer: Handler = async (ctx, svc) => {
  const account = callerAccount(ctx);
  const queue = requireQueue(svc, account, param(ctx, "queue"));
  const fields = consumerFromBody(jsonBody(ctx, ConsumerBody));
  const taken = queue.consumers[0];
  if (taken)
    throw new CfApiError(
      400,
      CfCode.invalidRequest,
      `Queue ${queue.name} already has a consumer (${taken.script}); a queue has one Worker consumer`,
    );
  const consumer: QueueConsumerRecord = { id: hexId(), createdOn: svc.now().toISOString(), ...fields };
  queue.consumers.push(consumer);
  queue.modifiedOn = consumer.createdOn;
  svc.store.save();
  await restartQueueUsers(svc, queue, [consumer.script]);
  return json(ok(consumerResult(queue, consumer)));
};

function requireConsumer(queue: QueueRecord, id: string): QueueConsumerRecord {
  const consumer = queue.consumers.find((c) => c.id === id);
  if (!consumer)
    throw new CfApiError(404, CfCode.invalidRequest, `Queue ${queue.name} has no consumer ${id}`);
  return consumer;
}

export const getConsumer: Handler = (ctx, svc) => {
  const queue = requireQueue(svc, callerAccount(ctx), param(ctx, "queue"));
  return json(ok(consumerResult(queue, requireConsumer(queue, param(ctx, "consumer")))));
};

export const putConsumer: Handler = async (ctx, svc) => {
  const account = callerAccount(ctx);
  const queue = requireQueue(svc, account, param(ctx, "queue"));
  const consumer = requireConsumer(queue, param(ctx, "consumer"));
  const fields = consumerFromBody(jsonBody(ctx, ConsumerBody));
  const before = consumer.script;
  Object.assign(consumer, fields);
  queue.modifiedOn = svc.now().toISOString();
  svc.store.save();
  await restartQueueUsers(svc, queue, [before, consumer.script]);
  return json(ok(consumerResult(queue, consumer)));
};

export const deleteConsumer: Handler = async (ctx, svc) => {
  const account = callerAccount(ctx);
  const queue = requireQueue(svc, account, param(ctx, "queue"));
  const consumer = requireConsumer(queue, param(ctx, "consumer"));
  queue.consumers = queue.consumers.filter((c) => c !== consumer);
  svc.store.save();
  await restartQueueUsers(svc, queue, [consumer.script]);
  return json(ok(null));
};
