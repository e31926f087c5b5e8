/** The webhook Notifier wired from the Worker's env: D1 log for idempotency, signed gate links. */
import type { Env } from "../../env.ts";
import type { Notifier } from "../../ports/notifier.ts";
import { d1NotificationLog } from "./d1-log.ts";
import { gateLinks } from "./gate-links.ts";
import { createWebhookNotifier } from "./webhook.ts";

export function webhookNotifierFor(env: Env & { NOTIFY_WEBHOOK_URL: string }): Notifier {
  return createWebhookNotifier({
    url: env.NOTIFY_WEBHOOK_URL,
    log: d1NotificationLog(env.DB),
    linksFor: gateLinks(env),
  });
}
