/**
 * The Dns contract against the test fake: a plan that creates the custom
 * domain asked for, an apply recorded in the fake world's log of calls.
 */
import { env } from "cloudflare:workers";
import { fakePorts } from "../support/fakes/ports.ts";
import { fakeCalls } from "../support/fakes/world.ts";
import { dnsContract } from "./dns.contract.ts";

// The fake reads no zone, checks no policy and keeps no journal: each is a declared gap.
dnsContract(
  "test fake",
  { gaps: ["plans-any-zone", "applies-a-repeated-key-again", "applies-a-blocked-plan"] },
  async () => ({
    dns: fakePorts(env.DB).dns,
    zone: async () => ({ zone: "fake.example", workerName: "shop" }),
    writes: async (runId) => (await fakeCalls(env.DB, runId)).filter((c) => c.kind === "dns").length,
    dispose: async () => {},
  }),
);
