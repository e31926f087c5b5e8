/**
 * Cloudflare's queue consumer settings → Miniflare's `queueConsumers` entry.
 * Pure. Cloudflare counts the batch wait in milliseconds (`max_wait_time_ms`),
 * Miniflare in seconds (`maxBatchTimeout`).
 */
import type { BindingRecord, EmulatorState, QueueConsumerRecord } from "./state.ts";

export interface MiniflareQueueConsumer {
  maxBatchSize?: number;
  maxBatchTimeout?: number;
  maxRetries?: number;
  deadLetterQueue?: string;
  retryDelay?: number;
}

const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

export function miniflareConsumer(
  c: Pick<QueueConsumerRecord, "settings" | "deadLetterQueue">,
): MiniflareQueueConsumer {
  const s = c.settings;
  const wait = num(s.max_wait_time_ms);
  const out: MiniflareQueueConsumer = {
    maxBatchSize: num(s.batch_size),
    maxBatchTimeout: wait === undefined ? undefined : wait / 1000,
    maxRetries: num(s.max_retries),
    retryDelay: num(s.retry_delay),
    ...(c.deadLetterQueue ? { deadLetterQueue: c.deadLetterQueue } : {}),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as MiniflareQueueConsumer;
}

/** Miniflare's `queueConsumers` for `script`: every queue of its account with a consumer registered for it. */
export function queueConsumersOf(
  state: Pick<EmulatorState, "queues">,
  accountId: string,
  script: string,
): Record<string, MiniflareQueueConsumer> {
  const out: Record<string, MiniflareQueueConsumer> = {};
  for (const queue of Object.values(state.queues)) {
    if (queue.accountId !== accountId) continue;
    const consumer = queue.consumers.find((c) => c.script === script);
    if (consumer) out[queue.name] = miniflareConsumer(consumer);
  }
  return out;
}

export interface ForwardedQueue {
  token: string;
  /** The consuming Worker's settings, so batching and retries happen as they would there. */
  consumer: MiniflareQueueConsumer;
}

/** Queues a script produces to whose consumer is another Worker of its account. */
export function forwardedQueuesOf(
  state: Pick<EmulatorState, "queues">,
  accountId: string,
  script: string,
  bindings: readonly BindingRecord[],
): Record<string, ForwardedQueue> {
  const out: Record<string, ForwardedQueue> = {};
  for (const binding of bindings) {
    if (binding.type !== "queue") continue;
    const queue = Object.values(state.queues).find(
      (q) => q.accountId === accountId && q.name === binding.queue_name,
    );
    const consumer = queue?.consumers[0];
    if (queue?.deliveryToken && consumer && consumer.script !== script)
      out[queue.name] = { token: queue.deliveryToken, consumer: miniflareConsumer(consumer) };
  }
  return out;
}

/**
 * The extra Worker that consumes, inside a producer's own runtime, the queues
 * whose consumer is another Worker, and posts each batch to the emulator,
 * which runs that Worker's queue handler (handlers/queue-delivery.ts). A
 * failed hand-over retries the batch, as a failed consumer would.
 */
export const QUEUE_FORWARDER_SCRIPT = `export default {
  async queue(batch, env) {
    const messages = batch.messages.map((m) => ({ id: m.id, timestamp: m.timestamp.getTime(), body: m.body, attempts: m.attempts }));
    const res = await fetch(env.DELIVER_URL + "/" + encodeURIComponent(batch.queue), {
      method: "POST",
      headers: { authorization: "Bearer " + env.TOKENS[batch.queue], "content-type": "application/json" },
      body: JSON.stringify({ messages }),
    });
    if (res.ok) batch.ackAll();
    else batch.retryAll();
  },
};`;
