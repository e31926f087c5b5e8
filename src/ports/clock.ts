/**
 * The Clock port. Only steps read it (inside `step.do`), so the time they saw
 * is cached with their result and replays identically; the machine never does.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
