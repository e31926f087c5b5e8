/**
 * The Notifier contract against the test fake, whose log of calls is what the
 * run tests assert "told once" against.
 */
import { env } from "cloudflare:workers";
import { fakePorts } from "../support/fakes/ports.ts";
import { fakeCalls } from "../support/fakes/world.ts";
import { notifierContract } from "./notifier.contract.ts";

// The fake records every call, so that a run test sees a step that notified twice.
notifierContract("test fake", { gaps: ["delivers-a-repeated-key-again"] }, async () => ({
  notifier: fakePorts(env.DB).notifier,
  delivered: async (runId) =>
    (await fakeCalls(env.DB, runId))
      .filter((c) => c.kind.startsWith("notify:"))
      .map((c) => ({ key: c.key, kind: c.kind.slice("notify:".length) })),
  dispose: async () => {},
}));
