/**
 * The one Cloudflare API client of the orchestrator (the official `cloudflare`
 * SDK), for the organisation's account and its zones, with one retry policy:
 * reads are retried by the SDK (connection errors, 429 and 5xx, twice), a
 * write is sent once (`writeOnce`), since a write whose answer was lost may
 * have been made and only a re-read can tell; a step that still fails is
 * retried by the Workflow. Runs in the Worker: no Node-only APIs.
 */
import Cloudflare from "cloudflare";

/** An account and the token the orchestrator holds for it (a secret: never given to a Sandbox). */
export interface CloudflareAccount {
  /** e.g. `https://api.cloudflare.com/client/v4`, or the emulator's `<url>/client/v4`. */
  apiBase: string;
  accountId: string;
  apiToken: string;
  fetch?: typeof fetch;
}

/** How often the SDK retries a read that failed transiently. */
const READ_RETRIES = 2;

export function cloudflareClient(account: CloudflareAccount): Cloudflare {
  return new Cloudflare({
    apiToken: account.apiToken,
    // Explicit nulls: the SDK would otherwise read CLOUDFLARE_API_KEY and friends from the environment.
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    baseURL: account.apiBase,
    logLevel: "off",
    maxRetries: READ_RETRIES,
    ...(account.fetch ? { fetch: account.fetch } : {}),
  });
}

/** The request options of a write: sent once, under the step's idempotency key. */
export function writeOnce(idempotencyKey: string): { maxRetries: 0; headers: Record<string, string> } {
  return {
    maxRetries: 0,
    // Cloudflare ignores it; the emulator (and any idempotent proxy) replays the first answer.
    headers: { "Idempotency-Key": idempotencyKey },
  };
}
