/**
 * The Notifier contract against the webhook notifier as production wires it:
 * the D1 notification log (the real table, in Miniflare) and a real HTTP
 * receiver that answers 200, or 404 once the channel is broken.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { d1NotificationLog } from "../../src/adapters/notifier/d1-log.ts";
import { createWebhookNotifier } from "../../src/adapters/notifier/webhook.ts";
import { notifierContract } from "./notifier.contract.ts";

notifierContract("webhook, D1 log", { channelCanBreak: true }, async () => {
  const received: Array<{ key: string; kind: string; runId: string }> = [];
  let broken = false;
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => {
      text += chunk;
    });
    req.on("end", () => {
      const body = JSON.parse(text) as { nightshift: { kind: string; runId: string } };
      res.statusCode = broken ? 404 : 200;
      if (!broken) received.push({ key: String(req.headers["idempotency-key"]), ...body.nightshift });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const mf = new Miniflare({ modules: true, script: "export default {}", d1Databases: ["DB"] });
  const db = await mf.getD1Database("DB");
  const sql = readFileSync(join(import.meta.dirname, "../../src/store/migrations/0003_people.sql"), "utf8");
  const table = /CREATE TABLE notifications \([^;]+\);/.exec(sql)?.[0];
  if (!table) throw new Error("0003_people.sql has no notifications table");
  await db.prepare(table).run();
  return {
    notifier: createWebhookNotifier({
      url: `http://127.0.0.1:${port}/hook`,
      log: d1NotificationLog(db as unknown as D1Database),
      baseDelayMs: 5,
    }),
    delivered: async (runId) =>
      received.filter((r) => r.runId === runId).map(({ key, kind }) => ({ key, kind })),
    breakChannel: () => {
      broken = true;
    },
    dispose: async () => {
      await mf.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
});
