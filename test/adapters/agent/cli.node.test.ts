/**
 * The coding-agent CLI adapters in a real local Sandbox (bubblewrap), with
 * fake CLIs that print the real event shapes, and the egress proxy between
 * the Sandbox and a scripted model server. The key test: the orchestrator's
 * key reaches the model API, and nothing inside the Sandbox can read it.
 */
import { asIdempotencyKey } from "../../../src/ports/vocabulary.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentFor } from "../../../src/adapters/agent/index.ts";
import { type EgressProxy, startEgressProxy } from "../../../src/local/egress-proxy/index.ts";
import type { AgentRequest } from "../../../src/ports/agent.ts";
import type { Sandbox } from "../../../src/ports/sandbox.ts";
import { type ScriptedServer, startScriptedModelServer } from "../../support/model-servers/scripted.ts";
import { type LocalSandboxes, startLocalSandboxes } from "./local-sandbox.ts";

const KEY = `sk-ant-api03-${"k3y".repeat(8)}-${process.pid}`;
const fake = (name: string) => readFileSync(join(import.meta.dirname, "fake-clis", `${name}.mjs`), "utf8");

let sandboxes: LocalSandboxes;
let model: ScriptedServer;
let proxy: EgressProxy;
const savedKey = process.env.ANTHROPIC_API_KEY;

beforeAll(async () => {
  // The orchestrator's own environment holds the key, as an operator would set it.
  process.env.ANTHROPIC_API_KEY = KEY;
  model = await startScriptedModelServer({
    requireKey: KEY,
    anthropic: () => ({
      kind: "turn",
      text: "notes.txt: written through the proxy",
      usage: { in: 700, out: 25 },
    }),
  });
  proxy = await startEgressProxy({
    keys: { ANTHROPIC_API_KEY: KEY },
    routes: [{ name: "anthropic", upstream: model.url, secret: "ANTHROPIC_API_KEY", header: "x-api-key" }],
    allowHosts: [],
  });
  // The Sandbox's own network reaches the host only through the proxy's port, as in the stack.
  sandboxes = await startLocalSandboxes("agent-cli", {
    gateways: [{ port: Number(new URL(proxy.url).port) }],
  });
});

afterAll(async () => {
  await proxy?.close();
  await model?.close();
  await sandboxes?.close();
  if (savedKey === undefined) delete process.env.ANTHROPIC_API_KEY;
  else process.env.ANTHROPIC_API_KEY = savedKey;
});

async function withCli(name: string, files: Record<string, string> = {}): Promise<Sandbox> {
  const sandbox = await sandboxes.fresh({
    "README.md": "# project\n",
    ...files,
    [`.bin/${name}`]: fake(name),
  });
  await sandbox.exec(["chmod", "+x", `/workspace/.bin/${name}`]);
  return sandbox;
}

const request = (sandbox: Sandbox, over: Partial<AgentRequest> = {}): AgentRequest => ({
  idempotencyKey: asIdempotencyKey("run-c:write#1"),
  runId: "run-c",
  round: 1,
  mode: "write",
  instructions: "Write notes.txt.",
  options: {},
  report: null,
  budgetLeft: { tokens: 1_000_000, costUsd: 10 },
  sandbox,
  ...over,
});

/**
 * Every readable file under the Sandbox's own directories and every process's environ and
 * cmdline that contains `pattern`. The pattern travels reversed so the scanning command's own
 * command line does not match itself.
 */
async function scanFor(sandbox: Sandbox, pattern: string): Promise<string[]> {
  const script = `
    const fs = require("fs"), pattern = ${JSON.stringify([...pattern].reverse().join(""))}.split("").reverse().join("");
    const hits = [];
    const walk = (dir) => { for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = dir + "/" + e.name;
      try { if (e.isDirectory()) walk(p); else if (e.isFile() && fs.readFileSync(p, "latin1").includes(pattern)) hits.push(p); } catch {}
    } };
    for (const root of ["/workspace", "/home", "/tmp", "/etc", "/opt"]) walk(root);
    for (const pid of fs.readdirSync("/proc").filter((p) => /^[0-9]+$/.test(p)))
      for (const f of ["environ", "cmdline"]) {
        try { if (fs.readFileSync("/proc/" + pid + "/" + f, "latin1").includes(pattern)) hits.push("/proc/" + pid + "/" + f); } catch {}
      }
    console.log(JSON.stringify(hits));`;
  const result = await sandbox.exec(["node", "-e", script]);
  if (result.exitCode !== 0) throw new Error(`scan failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as string[];
}

/** The orchestrator's environment as agentFor sees it: the key is there, for the Worker-side adapters. */
const orchestratorEnv = () => ({
  ANTHROPIC_API_KEY: KEY,
  OPENAI_API_KEY: `${KEY}-openai`,
  EGRESS_PROXY_URL: proxy.url,
});

describe("claude-code adapter through the egress proxy", () => {
  it("reaches the model with the key the proxy adds, while the Sandbox cannot read it", async () => {
    const sandbox = await withCli("claude");
    const agent = agentFor(
      {
        adapter: "claude-code",
        instructions: "x",
        model: "claude-sonnet-4-5",
        options: { command: "/workspace/.bin/claude" },
      },
      orchestratorEnv(),
    );
    const result = await agent.write(request(sandbox));
    expect(result).toMatchObject({
      ok: true,
      value: {
        summary: "Wrote notes.txt.",
        filesChanged: ["notes.txt"],
        // input + cache creation + cache read; cost as Claude Code reported it.
        usage: { tokensIn: 850, tokensOut: 25, costUsd: 0.0123 },
      },
    });
    expect(await sandbox.readFile("/workspace/notes.txt")).toBe("written through the proxy\n");

    // The model server got the real key (it answers 401 otherwise), through the proxy's route.
    expect(model.requests.at(-1)!.headers["x-api-key"]).toBe(KEY);
    expect(proxy.log.at(-1)).toMatchObject({
      kind: "route",
      target: "anthropic",
      allowed: true,
      status: 200,
    });

    // What the CLI saw while it ran: its env, every process's environ and cmdline in the Sandbox.
    const seen = await sandbox.exec(["cat", "/tmp/seen-by-cli.txt"]);
    expect(seen.stdout).toContain("ANTHROPIC_BASE_URL");
    expect(seen.stdout).toContain("nightshift-egress-proxy-adds-the-key");
    expect(seen.stdout).not.toContain(KEY);
    expect(seen.stdout).not.toContain("k3yk3y");
    // No file the Sandbox can read holds it, and no process shows it; the same scan does find
    // what is there (the CLI's notes mention its base-URL variable).
    expect(await scanFor(sandbox, KEY)).toEqual([]);
    expect(await scanFor(sandbox, "ANTHROPIC_BASE_URL")).toContain("/tmp/seen-by-cli.txt");
  });

  it("fails the round when the CLI reports an error result", async () => {
    const sandbox = await withCli("claude");
    // A route the proxy does not know: it adds no key and answers 403, which the CLI reports.
    const agent = agentFor(
      { adapter: "claude-code", instructions: "x", options: { command: "/workspace/.bin/claude" } },
      { EGRESS_PROXY_URL: `${proxy.url}/none` },
    );
    const result = await agent.write(request(sandbox));
    expect(result).toMatchObject({
      ok: false,
      error: { code: "agent_failed", message: expect.stringContaining("error_during_execution") },
    });
  });

  it("the proxy refuses hosts and routes that are not allowlisted", async () => {
    const sandbox = await withCli("claude");
    const script = `fetch("${proxy.url}/evil/steal").then(async r => console.log(r.status, await r.text()))`;
    const routeless = await sandbox.exec(["node", "-e", script]);
    expect(routeless.stdout).toMatch(/^403 .*no egress route/);
    const connect = await sandbox.exec([
      "node",
      "-e",
      `const s=require("net").connect(${new URL(proxy.url).port},"127.0.0.1",()=>s.write("CONNECT example.com:443 HTTP/1.1\\r\\nhost: example.com:443\\r\\n\\r\\n"));s.on("data",d=>{console.log(String(d).split("\\r\\n")[0]);s.destroy()})`,
    ]);
    expect(connect.stdout.trim()).toBe("HTTP/1.1 403 Forbidden");
  });
});

describe("codex adapter", () => {
  it("parses codex exec --json, diffs the workspace and prices the tokens from the table", async () => {
    const sandbox = await withCli("codex");
    const agent = agentFor(
      {
        adapter: "codex",
        instructions: "x",
        model: "gpt-4.1",
        options: { command: "/workspace/.bin/codex" },
      },
      orchestratorEnv(),
    );
    const result = await agent.write(request(sandbox));
    expect(result).toMatchObject({
      ok: true,
      value: {
        summary: "Added hello.txt.",
        filesChanged: ["hello.txt"],
        usage: { tokensIn: 24763, tokensOut: 122 },
      },
    });
    // gpt-4.1: $2 in, $8 out per MTok (Codex reports no cost).
    if (result.ok) expect(result.value.usage.costUsd).toBeCloseTo((24763 * 2 + 122 * 8) / 1e6, 9);
  });

  it("kills a CLI that hangs at the time limit and reports a timeout", async () => {
    const sandbox = await withCli("codex");
    const agent = agentFor(
      {
        adapter: "codex",
        instructions: "x",
        options: { command: "/workspace/.bin/codex", timeLimitMs: 1_500, env: { FAKE_CODEX_HANG: "1" } },
      },
      orchestratorEnv(),
    );
    const result = await agent.write(request(sandbox));
    expect(result).toMatchObject({
      ok: false,
      error: { code: "timeout", message: expect.stringContaining("1500 ms") },
    });
    const processes = await sandbox.exec(["sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '"]);
    expect(processes.stdout).not.toContain(".bin/codex");
  });
});

describe("opencode adapter", () => {
  it("adds up usage and cost over the steps and sees deletions in the diff", async () => {
    const sandbox = await withCli("opencode", { "old.txt": "bye\n" });
    const agent = agentFor(
      {
        adapter: "opencode",
        instructions: "x",
        model: "anthropic/claude-sonnet-4-5",
        options: { command: "/workspace/.bin/opencode" },
      },
      orchestratorEnv(),
    );
    const result = await agent.write(request(sandbox));
    expect(result).toMatchObject({
      ok: true,
      value: {
        summary: "Removed old.txt and updated the README.",
        filesChanged: ["README.md", "old.txt"],
        usage: { tokensIn: 2900, tokensOut: 120, costUsd: 0.003 },
      },
    });
    // OpenCode was pointed at the proxy through its inline config.
    expect(await sandbox.readFile("/workspace/README.md")).toContain(`${proxy.url}/anthropic/v1`);
  });
});
