/**
 * The Agent contract against the coding-agent CLI adapters (claude-code,
 * codex, opencode): fake CLIs that print the real event shapes run in a real
 * local Sandbox, reaching a scripted model server only through the egress
 * proxy. A failing round is the CLI reporting an error (claude-code: a route
 * the proxy does not know) or hanging past its time limit (codex, opencode).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { agentFor } from "../../src/adapters/agent/index.ts";
import { startEgressProxy } from "../../src/local/egress-proxy/index.ts";
import { type LocalSandboxes, startLocalSandboxes } from "../adapters/agent/local-sandbox.ts";
import { startScriptedModelServer } from "../support/model-servers/scripted.ts";
import { agentContract } from "./agent.contract.ts";

const KEY = `sk-ant-api03-${"c0ntract".repeat(3)}-${process.pid}`;
const CLIS = {
  "claude-code": { bin: "claude", model: "claude-sonnet-4-5" },
  codex: { bin: "codex", model: "gpt-4.1" },
  opencode: { bin: "opencode", model: "anthropic/claude-sonnet-4-5" },
} as const;

for (const [adapter, cli] of Object.entries(CLIS) as Array<
  [keyof typeof CLIS, (typeof CLIS)[keyof typeof CLIS]]
>) {
  agentContract(`${adapter} adapter, fake CLI through the egress proxy`, { canFail: true }, async () => {
    const model = await startScriptedModelServer({
      requireKey: KEY,
      anthropic: () => ({
        kind: "turn",
        text: "notes.txt: written through the proxy",
        usage: { in: 700, out: 25 },
      }),
    });
    const proxy = await startEgressProxy({
      keys: { ANTHROPIC_API_KEY: KEY },
      routes: [{ name: "anthropic", upstream: model.url, secret: "ANTHROPIC_API_KEY", header: "x-api-key" }],
      allowHosts: [],
    });
    const sandboxes: LocalSandboxes = await startLocalSandboxes(`contract-${cli.bin}`, {
      gateways: [{ port: Number(new URL(proxy.url).port) }],
    });
    const script = readFileSync(
      join(import.meta.dirname, "../adapters/agent/fake-clis", `${cli.bin}.mjs`),
      "utf8",
    );
    const seeded = { "README.md": "# project\n", "old.txt": "bye\n" };
    return {
      scene: async (outcome) => {
        const sandbox = await sandboxes.fresh({ ...seeded, [`.bin/${cli.bin}`]: script });
        await sandbox.exec(["chmod", "+x", `/workspace/.bin/${cli.bin}`]);
        const fails = outcome === "fails";
        const command = `/workspace/.bin/${cli.bin}`;
        const options = !fails
          ? { command }
          : adapter === "codex"
            ? { command, timeLimitMs: 1_500, env: { FAKE_CODEX_HANG: "1" } }
            : adapter === "opencode"
              ? { command: "/workspace/.bin/not-installed" }
              : { command };
        const egress = fails && adapter === "claude-code" ? `${proxy.url}/none` : proxy.url;
        return {
          agent: agentFor(
            { adapter, instructions: "x", model: cli.model, options },
            { ANTHROPIC_API_KEY: KEY, OPENAI_API_KEY: `${KEY}-openai`, EGRESS_PROXY_URL: egress },
          ),
          sandbox,
          seeded,
          instructions: "Write notes.txt.",
        };
      },
      dispose: async () => {
        await proxy.close();
        await model.close();
        await sandboxes.close();
      },
    };
  });
}
