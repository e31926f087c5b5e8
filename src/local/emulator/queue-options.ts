/**
 * Cloudflare's queue consumer settings → Miniflare's `queueConsumers` entry.
 * Pure. Cloudflare counts the batch wait in milliseconds (`max_wait_time_ms`),
 * Miniflare in seconds (`maxBatchTimeout`).
 */
import type { EmulatorState, QueueConsumerRecord } from "./state.ts";

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
