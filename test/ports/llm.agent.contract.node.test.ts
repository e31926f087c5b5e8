/**
 * The Agent contract against the LLM adapters (OpenAI-compatible and
 * Anthropic), each over a scripted model server speaking its wire format, the
 * tools working in a real local Sandbox. A failing round is the API refusing
 * the request.
 */
import { agentFor } from "../../src/adapters/agent/index.ts";
import {
  type Script,
  type ScriptedServer,
  startScriptedModelServer,
} from "../support/model-servers/scripted.ts";
import { type LocalSandboxes, startLocalSandboxes } from "../adapters/agent/local-sandbox.ts";
import { agentContract } from "./agent.contract.ts";

const KEYS = { openai: "sk-test-openai", anthropic: "sk-ant-test" } as const;
const MODELS = { openai: "gpt-4.1-mini", anthropic: "claude-sonnet-4-5" } as const;

/** Writes a file, runs it, and says so: the round a working model makes. */
const writeSum: Script = (_body, i) =>
  i === 0
    ? {
        kind: "turn",
        text: "Writing the function.",
        toolCalls: [
          {
            id: "call_1",
            name: "write_file",
            input: { path: "lib/sum.mjs", content: "export const sum = (a, b) => a + b;\n" },
          },
          { id: "call_2", name: "run_command", input: { command: "node lib/sum.mjs" } },
        ],
        usage: { in: 1200, out: 80 },
      }
    : { kind: "turn", text: "Added lib/sum.mjs.", usage: { in: 1500, out: 30 } };

const SEEDED = { "README.md": "# demo\n" };

const refuses: Script = () => ({
  kind: "http-error",
  status: 400,
  body: '{"error":{"message":"context too long"}}',
});

for (const adapter of ["openai", "anthropic"] as const) {
  agentContract(`${adapter} adapter, scripted model server`, { canFail: true }, async () => {
    const sandboxes: LocalSandboxes = await startLocalSandboxes(`contract-${adapter}`);
    const servers: ScriptedServer[] = [];
    return {
      scene: async (outcome) => {
        const server = await startScriptedModelServer({
          [adapter]: outcome === "works" ? writeSum : refuses,
          requireKey: KEYS[adapter],
        });
        servers.push(server);
        const baseUrl = adapter === "openai" ? `${server.url}/v1` : server.url;
        return {
          agent: agentFor(
            { adapter, instructions: "x", model: MODELS[adapter], options: { baseUrl } },
            adapter === "openai" ? { OPENAI_API_KEY: KEYS.openai } : { ANTHROPIC_API_KEY: KEYS.anthropic },
            { http: { sleep: async () => {}, random: () => 0.5 } },
          ),
          sandbox: await sandboxes.fresh(SEEDED),
          seeded: SEEDED,
          instructions: "Add a sum function in lib/sum.mjs.",
        };
      },
      dispose: async () => {
        for (const server of servers) await server.close();
        await sandboxes.close();
      },
    };
  });
}
