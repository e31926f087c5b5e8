/**
 * The Notifier as an outbound webhook with a Slack-compatible body (`text` +
 * `blocks`, accepted by Slack incoming webhooks and most chat tools), plus a
 * `nightshift` object with the machine-readable facts.
 *
 * - Idempotent per event: the notification's key is recorded before sending
 *   (see `NotificationLog`) and sent as `Idempotency-Key`; a key already
 *   delivered is not sent again.
 * - Retried with exponential backoff on network errors, 429 and 5xx; a 4xx is
 *   the receiver's final answer. Delivery is best-effort: after the last
 *   attempt the failure is recorded and logged, never thrown, so a broken chat
 *   channel cannot fail a run.
 * - Gate notifications carry a single-use signed link to the gate page (never
 *   for `tos`: legal sign-off needs a signed-in person) and a link to the inbox.
 */
import type { Notification, Notifier } from "../../ports/notifier.ts";

export interface NotificationLog {
  /** Records the notification (once per key); says whether it was delivered already. */
  begin(entry: {
    key: string;
    runId: string;
    kind: string;
    body: unknown;
    at: number;
  }): Promise<"open" | "delivered">;
  attempted(key: string, outcome: { error: string | null; at: number }): Promise<void>;
}

export interface WebhookNotifierOptions {
  url: string;
  log: NotificationLog;
  /** Extra links for a notification (signed gate links); failures here only drop the links. */
  linksFor?: (notification: Notification) => Promise<Array<{ label: string; url: string }>>;
  attempts?: number;
  baseDelayMs?: number;
  now?: () => number;
}

/** Delay before retry `attempt` (1-based): base · 2^(attempt-1). Pure. */
export function backoff(attempt: number, baseDelayMs: number): number {
  return baseDelayMs * 2 ** (attempt - 1);
}

export function slackBody(n: Notification, links: Array<{ label: string; url: string }>) {
  return {
    text: `${n.title}\n${n.body}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${n.title}*\n${n.body}` } },
      ...(links.length
        ? [
            {
              type: "actions",
              elements: links.map((link) => ({
                type: "button",
                text: { type: "plain_text", text: link.label },
                url: link.url,
              })),
            },
          ]
        : []),
    ],
    nightshift: {
      kind: n.kind,
      runId: n.runId,
      idempotencyKey: n.idempotencyKey,
      ...(n.gate ? { gate: n.gate } : {}),
      links,
    },
  };
}

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  const attempts = options.attempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const now = options.now ?? (() => Date.now());
  return {
    async notify(n) {
      let extra: Array<{ label: string; url: string }> = [];
      try {
        extra = (await options.linksFor?.(n)) ?? [];
      } catch (error) {
        console.error(`nightshift notify: could not make links for ${n.idempotencyKey}: ${String(error)}`);
      }
      const body = slackBody(n, [...n.links, ...extra]);
      const state = await options.log.begin({
        key: n.idempotencyKey,
        runId: n.runId,
        kind: n.kind,
        body,
        at: now(),
      });
      if (state === "delivered") return;
      let lastError = "not attempted";
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const response = await fetch(options.url, {
            method: "POST",
            headers: { "content-type": "application/json", "idempotency-key": n.idempotencyKey },
            body: JSON.stringify(body),
          });
          await response.body?.cancel();
          if (response.ok) {
            await options.log.attempted(n.idempotencyKey, { error: null, at: now() });
            return;
          }
          lastError = `HTTP ${response.status}`;
          if (!retryable(response.status)) break;
        } catch (error) {
          lastError = error instanceof Error ? error.message : String(error);
        }
        if (attempt === attempts) break;
        await options.log.attempted(n.idempotencyKey, { error: lastError, at: now() });
        await new Promise((r) => setTimeout(r, backoff(attempt, baseDelayMs)));
      }
      await options.log.attempted(n.idempotencyKey, { error: lastError, at: now() });
      console.error(`nightshift notify: ${n.idempotencyKey} not delivered (${lastError})`);
    },
  };
}
