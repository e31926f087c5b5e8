/**
 * A broken invariant inside a step (a row or plan that must exist does not): retrying the step
 * cannot mend it, so it throws Workflows' `NonRetryableError` and the run fails at once instead
 * of being retried for minutes. Expected failures are values (`result.ts`), transient faults
 * plain errors (retried). Worker code only: it imports `cloudflare:workflows`.
 */
import { NonRetryableError } from "cloudflare:workflows";

export function invariantBroken(message: string): never {
  throw new NonRetryableError(message);
}
