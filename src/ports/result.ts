/**
 * Expected outcomes are values, not exceptions: a step returns them so the
 * Workflow caches and replays them as they are. Only transient faults throw.
 */
export type Result<T, E extends { code: string } = Failure> =
  | { ok: true; value: T }
  | { ok: false; error: E };

/** What an expected failure says by default: a code callers act on, and words for a human. */
export interface Failure {
  code: string;
  message: string;
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<E extends { code: string }>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}
