/**
 * A notification webhook receiver for the crash harness: a real HTTP server that records
 * every delivery (its `Idempotency-Key`, kind, run and gate) and whether it was answered,
 * and can hold a delivery unanswered (a chosen point inside a gate's open step).
 */
import { createServer, type Server } from "node:http";
import { Holds } from "./holds.ts";

export interface Delivery {
  key: string;
  kind: string;
  runId: string;
  gate: string | null;
  /** The receiver answered 200 (false: the sender was gone before the answer). */
  answered: boolean;
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  holds: Holds<Delivery>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const holds = new Holds<Delivery>();
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => {
      text += chunk;
    });
    req.on("end", async () => {
      const body = JSON.parse(text) as {
        nightshift: { kind: string; runId: string; gate?: { kind: string; seq: number } };
      };
      const delivery: Delivery = {
        key: String(req.headers["idempotency-key"] ?? ""),
        kind: body.nightshift.kind,
        runId: body.nightshift.runId,
        gate: body.nightshift.gate ? `${body.nightshift.gate.kind}#${body.nightshift.gate.seq}` : null,
        answered: false,
      };
      deliveries.push(delivery);
      const held = holds.take(delivery);
      if (held) await held;
      if (res.destroyed) return;
      res.end("ok", () => {
        delivery.answered = true;
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    holds,
    close: () =>
      new Promise<void>((resolve) => {
        holds.releaseAll();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
