/** The Agent contract against the test fake: it writes app.txt (and BUG in its buggy rounds). */
import { env } from "cloudflare:workers";
import { fakePorts } from "../support/fakes/ports.ts";
import { fakeSandboxes } from "../support/fakes/sandbox.ts";
import { FakeWorld } from "../support/fakes/world.ts";
import { agentContract } from "./agent.contract.ts";

let n = 0;
const sandbox = () =>
  fakeSandboxes(new FakeWorld(env.DB)).get(`contract-fake-agent-${Date.now().toString(36)}-${n++}`);

// The fake writes its round whatever the budget says; its rounds fail only by throwing transient faults.
agentContract("test fake", { canFail: false, gaps: ["ignores-the-budget"] }, async () => ({
  scene: async () => ({
    agent: fakePorts(env.DB).agentFor({} as never),
    sandbox: sandbox(),
    seeded: {},
    instructions: "x",
  }),
  dispose: async () => {},
}));
