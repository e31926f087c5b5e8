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

const POLICIES: Record<WorkEffectKind | "init" | "finish" | "gate", StepPolicy> = {
  init: { retries: { limit: 5, delay: 1_000, backoff: "exponential" }, timeout: MINUTE },
  prepare: { retries: { limit: 3, delay: 5_000, backoff: "exponential" }, timeout: 20 * MINUTE },
  write: { retries: { limit: 2, delay: 10_000, backoff: "exponential" }, timeout: 30 * MINUTE },
  fix: { retries: { limit: 2, delay: 10_000, backoff: "exponential" }, timeout: 30 * MINUTE },
  deploy: { retries: { limit: 3, delay: 5_000, backoff: "exponential" }, timeout: 10 * MINUTE },
  verify: { retries: { limit: 3, delay: 2_000, backoff: "exponential" }, timeout: 10 * MINUTE },
  promote: { retries: { limit: 3, delay: 5_000, backoff: "exponential" }, timeout: 10 * MINUTE },
  planDns: { retries: { limit: 3, delay: 5_000, backoff: "exponential" }, timeout: 5 * MINUTE },
  applyDns: { retries: { limit: 3, delay: 5_000, backoff: "exponential" }, timeout: 5 * MINUTE },
  gate: { retries: { limit: 5, delay: 1_000, backoff: "exponential" }, timeout: MINUTE },
  finish: { retries: { limit: 5, delay: 1_000, backoff: "exponential" }, timeout: 5 * MINUTE },
};

export function stepPolicy(kind: keyof typeof POLICIES): StepPolicy {
  return POLICIES[kind];
}
