/**
 * The webhook Notifier against a real HTTP receiver: a Slack-compatible body,
 * retries with backoff on 5xx and network errors (not on 4xx), one delivery
 * per event even when the same notification comes again (a retried step).
 */
import { asIdempotencyKey } from "../../../src/ports/vocabulary.ts";
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import {
  backoff,
  createWebhookNotifier,
  type NotificationLog,
} from "../../../src/adapters/notifier/webhook.ts";
import type { Notification } from "../../../src/ports/notifier.ts";

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

let server: Server | null = null;

/** A receiver that answers the given statuses in turn (then 200) and keeps what it got. */
async function receiver(statuses: number[]): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const queue = [...statuses];
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => {
      text += chunk;
    });
    req.on("end", () => {
      got.push({ headers: req.headers, body: JSON.parse(text) });
      res.statusCode = queue.shift() ?? 200;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, got };
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

function memoryLog() {
  const rows = new Map<string, { attempts: number; deliveredAt: number | null; lastError: string | null }>();
  const log: NotificationLog = {
    async begin(entry) {
      if (!rows.has(entry.key)) rows.set(entry.key, { attempts: 0, deliveredAt: null, lastError: null });
      return rows.get(entry.key)!.deliveredAt ? "delivered" : "open";
    },
    async attempted(key, outcome) {
      const row = rows.get(key)!;
      row.attempts += 1;
      row.lastError = outcome.error;
      if (outcome.error === null) row.deliveredAt = outcome.at;
    },
  };
  return { log, rows };
}

const gateOpened: Notification = {
  idempotencyKey: asIdempotencyKey("run-1:gate:claim#1/open"),
  runId: "run-1",
  kind: "gate.opened",
  title: "loop: claim gate waiting for approval",
  body: "Run run-1 waits at the claim gate.",
  links: [],
  gate: { id: "run-1:claim:1", kind: "claim", seq: 1, deadlineAt: 1_900_000_000_000 },
};

describe("webhook notifier", () => {
  it("posts a Slack-compatible message with the gate's links as buttons", async () => {
    const { url, got } = await receiver([]);
    const { log } = memoryLog();
    const notifier = createWebhookNotifier({
      url,
      log,
      linksFor: async () => [{ label: "Review and decide", url: "https://ns.example/inbox/l/abc" }],
    });
    await notifier.notify(gateOpened);
    expect(got).toHaveLength(1);
    expect(got[0]!.headers["idempotency-key"]).toBe(gateOpened.idempotencyKey);
    expect(got[0]!.body).toMatchObject({
      text: expect.stringContaining("claim gate waiting"),
      blocks: [
        { type: "section", text: { type: "mrkdwn" } },
        {
          type: "actions",
          elements: [
            {
              type: "button",
              text: { type: "plain_text", text: "Review and decide" },
              url: "https://ns.example/inbox/l/abc",
            },
          ],
        },
      ],
      nightshift: { kind: "gate.opened", runId: "run-1", gate: { id: "run-1:claim:1" } },
    });
  });

  it("retries a 503 and a 429 with backoff, then delivers once; the same event again sends nothing", async () => {
    const { url, got } = await receiver([503, 429]);
    const { log, rows } = memoryLog();
    const notifier = createWebhookNotifier({ url, log, baseDelayMs: 10 });
    await notifier.notify(gateOpened);
    expect(got).toHaveLength(3);
    expect(rows.get(gateOpened.idempotencyKey)).toMatchObject({ attempts: 3, lastError: null });
    await notifier.notify(gateOpened);
    expect(got).toHaveLength(3);
  });

  it("takes a 4xx as final, records the failure and does not throw (a channel cannot fail a run)", async () => {
    const { url, got } = await receiver([404]);
    const { log, rows } = memoryLog();
    await createWebhookNotifier({ url, log, baseDelayMs: 10 }).notify(gateOpened);
    expect(got).toHaveLength(1);
    expect(rows.get(gateOpened.idempotencyKey)).toMatchObject({ deliveredAt: null, lastError: "HTTP 404" });
  });

  it("retries when nothing listens, and gives up after its attempts", async () => {
    const { log, rows } = memoryLog();
    await createWebhookNotifier({ url: "http://127.0.0.1:9/hook", log, attempts: 3, baseDelayMs: 5 }).notify(
      gateOpened,
    );
    expect(rows.get(gateOpened.idempotencyKey)).toMatchObject({ attempts: 3, deliveredAt: null });
  });

  it("doubles the delay each attempt", () => {
    expect([1, 2, 3, 4].map((n) => backoff(n, 500))).toEqual([500, 1000, 2000, 4000]);
  });
});
