/**
 * The Sandbox contract against the test fake (files and snapshots kept in D1),
 * so the fake the run Workflow tests lean on cannot drift from the adapters.
 */
import { env } from "cloudflare:workers";
import { fakeSandboxes } from "../support/fakes/sandbox.ts";
import { FakeWorld } from "../support/fakes/world.ts";
import { sandboxContract } from "./sandbox.contract.ts";

sandboxContract("test fake", { executes: false, gaps: ["status-absent-after-destroy"] }, async () => ({
  provider: fakeSandboxes(new FakeWorld(env.DB)),
  dispose: async () => {},
}));
