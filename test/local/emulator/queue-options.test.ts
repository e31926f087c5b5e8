/**
 * Pure parts of queues and unsupported resources: Cloudflare's consumer
 * settings as Miniflare options, and which bindings and API paths are refused.
 */
import { describe, expect, test } from "vitest";
import { miniflareConsumer, queueConsumersOf } from "../../../src/local/emulator/queue-options.ts";
import type { QueueRecord } from "../../../src/local/emulator/state.ts";
import {
  unsupportedBindingError,
  unsupportedResourceForPath,
} from "../../../src/local/emulator/unsupported.ts";

describe("queue consumer options", () => {
  test("Cloudflare's settings map to Miniflare's, the batch wait from milliseconds to seconds", () => {
    expect(
      miniflareConsumer({
        settings: {
          batch_size: 5,
          max_wait_time_ms: 2500,
          max_retries: 2,
          retry_delay: 10,
          max_concurrency: null,
        },
        deadLetterQueue: "dlq",
      }),
    ).toEqual({
      maxBatchSize: 5,
      maxBatchTimeout: 2.5,
      maxRetries: 2,
      retryDelay: 10,
      deadLetterQueue: "dlq",
    });
    expect(miniflareConsumer({ settings: {}, deadLetterQueue: null })).toEqual({});
  });

  test("a script consumes the queues of its own account that name it", () => {
    const queue = (id: string, accountId: string, name: string, scripts: string[]): QueueRecord => ({
      id,
      accountId,
      name,
      createdOn: "",
      modifiedOn: "",
      settings: {},
      consumers: scripts.map((script) => ({
        id: `${id}-${script}`,
        script,
        settings: {},
        deadLetterQueue: null,
        createdOn: "",
      })),
    });
    const state = {
      queues: {
        a: queue("a", "acc1", "jobs", ["worker"]),
        b: queue("b", "acc1", "other", ["someone-else"]),
        c: queue("c", "acc2", "jobs-2", ["worker"]),
      },
    };
    expect(queueConsumersOf(state, "acc1", "worker")).toEqual({ jobs: {} });
  });
});

describe("unsupported resources", () => {
  test("bindings of unsupported resources are refused by name; supported and unknown types are not", () => {
    expect(unsupportedBindingError({ name: "B", type: "r2_bucket" })).toBe(
      'Binding B (type "r2_bucket") needs R2, which is not available on a temporary account',
    );
    expect(unsupportedBindingError({ name: "Q", type: "queue" })).toBeNull();
    expect(unsupportedBindingError({ name: "X", type: "no_such_type" })).toBeNull();
  });

  test("API paths below an unsupported prefix are recognised; supported and unrelated ones are not", () => {
    expect(unsupportedResourceForPath("/accounts/abc/r2/buckets/x")?.id).toBe("r2");
    expect(unsupportedResourceForPath("/accounts/abc/workers/dispatch/namespaces")?.id).toBe(
      "dispatch-namespaces",
    );
    expect(unsupportedResourceForPath("/accounts/abc/r2x")).toBeUndefined();
    expect(unsupportedResourceForPath("/accounts/abc/queues")).toBeUndefined();
    expect(unsupportedResourceForPath("/accounts/abc/workers/scripts/s")).toBeUndefined();
  });
});
