/**
 * Pure: whether and when to retry a model API call. 429 honours `retry-after`
 * (seconds or an HTTP date, RFC 9110 §10.2.3), 5xx and network faults back off
 * exponentially with jitter supplied by the caller (so this stays pure and
 * testable), everything else (4xx) fails at once. Both providers also send
 * `retry-after-ms` / `x-ratelimit-reset-*`; `retry-after-ms` wins when present.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 60_000 };

export type RetryDecision = { retry: true; delayMs: number; why: string } | { retry: false; why: string };

/** Parses `retry-after` (delta-seconds or HTTP-date) and `retry-after-ms` into milliseconds. */
export function retryAfterMs(headers: { get(name: string): string | null }, now: number): number | null {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get("retry-after");
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * The decision after attempt `attempt` (1-based) ended with `status` (null: a network fault).
 * `jitter` in [0, 1) spreads retries of many runs apart.
 */
export function retryDecision(opts: {
  attempt: number;
  status: number | null;
  retryAfterMs: number | null;
  policy?: RetryPolicy;
  jitter?: number;
}): RetryDecision {
  const policy = opts.policy ?? DEFAULT_RETRY;
  const { status } = opts;
  const retryable = status === null || status === 408 || status === 409 || status === 429 || status >= 500;
  if (!retryable) return { retry: false, why: `HTTP ${status} is not retryable` };
  if (opts.attempt >= policy.maxAttempts)
    return {
      retry: false,
      why: `gave up after ${opts.attempt} attempts (last: ${status ?? "network error"})`,
    };
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (opts.attempt - 1));
  const jittered = Math.round(backoff * (0.5 + (opts.jitter ?? 0.5) / 2));
  if (opts.retryAfterMs !== null) {
    if (opts.retryAfterMs > policy.maxDelayMs)
      return {
        retry: false,
        why: `the server asks to wait ${opts.retryAfterMs} ms, more than ${policy.maxDelayMs} ms`,
      };
    return {
      retry: true,
      delayMs: opts.retryAfterMs,
      why: `HTTP ${status}, retry-after ${opts.retryAfterMs} ms`,
    };
  }
  return {
    retry: true,
    delayMs: jittered,
    why: `${status === null ? "network error" : `HTTP ${status}`}, backoff`,
  };
}
