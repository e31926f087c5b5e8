/**
 * The Agent contract against the replay agent (a recorded session applied to
 * the fake Sandbox). A failing replay is a malformed recording.
 */
import { env } from "cloudflare:workers";
import session from "../../workflows/hello-kv/session.json";
import { createReplayAgent } from "../../src/adapters/agent/replay.ts";
import { fakeSandboxes } from "../support/fakes/sandbox.ts";
import { FakeWorld } from "../support/fakes/world.ts";
import { agentContract } from "./agent.contract.ts";

let n = 0;
const sandbox = () =>
  fakeSandboxes(new FakeWorld(env.DB)).get(`contract-agent-${Date.now().toString(36)}-${n++}`);

agentContract("replay agent over the fake Sandbox", { canFail: true }, async () => ({
  scene: async (outcome) => ({
    agent: createReplayAgent(),
    sandbox: sandbox(),
    seeded: {},
    instructions: "count visits",
    options: {
      session: outcome === "works" ? session : { version: 1, recordedFrom: "x", rounds: [{ summary: 3 }] },
    },
  }),
  dispose: async () => {},
}));
