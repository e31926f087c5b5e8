/**
 * Retry and timeout policy per kind of step. Transient faults throw and are
 * retried here; expected failures come back as values and are never retried.
 */
import type { WorkEffectKind } from "../loop/effects.ts";

export interface StepPolicy {
  retries: { limit: number; delay: number; backoff: "constant" | "linear" | "exponential" };
  /** Milliseconds; a step that runs longer fails this attempt. */
  timeout: number;
}

const MINUTE = 60_000;

/**
 * Steps that use the Sandbox host, the egress proxy or the Cloudflare API retry long enough to
 * outlive an outage of minutes (the run holds; the timeline says `run.waiting`, src/run/outages.ts):
 * exponential from `delay`, so 7 retries from 5 s wait about 10.6 minutes in all. Every such step
 * is safe to run again (idempotency keys, step-consistent Sandboxes). A broken invariant throws
 * NonRetryableError and is not retried at all.
 */
const HOLDS = { limit: 7, delay: 5_000, backoff: "exponential" } as const;

const POLICIES: Record<WorkEffectKind | "init" | "finish" | "gate", StepPolicy> = {
  init: { retries: { limit: 5, delay: 1_000, backoff: "exponential" }, timeout: MINUTE },
  prepare: { retries: HOLDS, timeout: 20 * MINUTE },
  // An agent round retried from 10 s: 6 retries also wait about 10.5 minutes.
  write: { retries: { limit: 6, delay: 10_000, backoff: "exponential" }, timeout: 30 * MINUTE },
  fix: { retries: { limit: 6, delay: 10_000, backoff: "exponential" }, timeout: 30 * MINUTE },
  deploy: { retries: HOLDS, timeout: 10 * MINUTE },
  verify: { retries: HOLDS, timeout: 10 * MINUTE },
  promote: { retries: HOLDS, timeout: 10 * MINUTE },
  planDns: { retries: HOLDS, timeout: 5 * MINUTE },
  applyDns: { retries: HOLDS, timeout: 5 * MINUTE },
  gate: { retries: { limit: 5, delay: 1_000, backoff: "exponential" }, timeout: MINUTE },
  finish: { retries: { limit: 5, delay: 1_000, backoff: "exponential" }, timeout: 5 * MINUTE },
};

export function stepPolicy(kind: keyof typeof POLICIES): StepPolicy {
  return POLICIES[kind];
}
