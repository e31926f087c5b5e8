/**
 * The Worker's HTTP side, put together: the API (with webhooks) and the inbox, siblings that
 * share `src/web/` and do not import each other. `src/worker.ts` serves this; test Workers
 * serve the same.
 */
import { type AppOptions, createApp } from "./api/app.ts";
import { createInbox } from "./ui/routes.ts";

export function createSite(options: AppOptions) {
  const app = createApp(options);
  app.route("/inbox", createInbox({ now: options.now ?? (() => Date.now()), registry: options.registry }));
  return app;
}
