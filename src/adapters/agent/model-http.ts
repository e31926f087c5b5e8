/**
 * Calling a model API with retries: one attempt = send the request and read
 * the whole (streamed) reply; 429/5xx/network faults and malformed replies are
 * retried with the pure policy of ./retry.ts, anything else fails at once.
 * Nothing happens between attempts but waiting: tools run only after a whole
 * turn has been parsed, so re-sending a request never repeats a side effect.
 * Runs in the Worker (plain `fetch`, no Node modules).
 */
import { DEFAULT_RETRY, type RetryPolicy, retryAfterMs, retryDecision } from "./retry.ts";

/** The API answered with an HTTP error. */
export class ModelHttpError extends Error {
  override readonly name = "ModelHttpError";
  constructor(
    readonly status: number,
    readonly body: string,
    readonly retryAfter: number | null,
  ) {
    super(`model API answered HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

/** The reply did not follow the wire format (bad JSON, missing fields, an error event mid-stream). */
export class ModelProtocolError extends Error {
  override readonly name = "ModelProtocolError";
  constructor(
    message: string,
    /** Whether sending the request again may help (e.g. an `overloaded_error` event). */
    readonly retryable = true,
  ) {
    super(message);
  }
}

/** Retries exhausted or a non-retryable failure: the adapter reports it as `agent_failed`. */
export class ModelCallFailed extends Error {
  override readonly name = "ModelCallFailed";
  constructor(
    message: string,
    readonly attempts: number,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export interface ModelHttpOptions {
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  /** Waits between attempts (tests and benches may shorten nothing: they use retry-after 0/1). */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called before each retry, for logs and tests (non-durable). */
  onRetry?: (info: { attempt: number; delayMs: number; why: string }) => void;
}

/**
 * Sends `init` to `url` and hands the response to `read` (which parses the body) until one
 * attempt succeeds. Throws `ModelCallFailed` when it gives up.
 */
export async function callWithRetries<T>(
  url: string,
  init: RequestInit,
  read: (response: Response) => Promise<T>,
  options: ModelHttpOptions = {},
): Promise<T> {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, i?: RequestInit) => fetch(input, i));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const policy = options.retry ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    let status: number | null = null;
    let after: number | null = null;
    let message: string;
    try {
      const response = await doFetch(url, init);
      if (!response.ok) {
        const body = await response.text().catch(() => "");
        after = retryAfterMs(response.headers, Date.now());
        throw new ModelHttpError(response.status, body, after);
      }
      return await read(response);
    } catch (error) {
      if (error instanceof ModelHttpError) {
        status = error.status;
        after = error.retryAfter;
      } else if (error instanceof ModelProtocolError && !error.retryable) {
        throw new ModelCallFailed(error.message, attempt, null);
      }
      message = error instanceof Error ? error.message : String(error);
    }
    const decision = retryDecision({
      attempt,
      status,
      retryAfterMs: after,
      policy,
      jitter: options.random?.(),
    });
    if (!decision.retry) throw new ModelCallFailed(`${message} (${decision.why})`, attempt, status);
    options.onRetry?.({
      attempt,
      delayMs: decision.delayMs,
      why: `${decision.why}: ${message.slice(0, 200)}`,
    });
    await sleep(decision.delayMs);
  }
}

/** Parses one JSON payload of a stream, as a protocol error when it is not JSON. */
export function parseJson(data: string, where: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new ModelProtocolError(`malformed JSON in ${where}: ${data.slice(0, 200)}`);
  }
}

/**
 * Whether a token count a model server reported can be believed: a whole, non-negative number.
 * Anything else is treated as no report (the loop charges by estimate), never as a refund.
 */
export function isTokenCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
