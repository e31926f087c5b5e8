/**
 * The corpus's Node surfaces (test/hostile/corpus.ts): job files through the
 * registry; agent output through the real adapters (the OpenAI-compatible
 * loop against a scripted model server, CLI adapters running a stand-in
 * script) in real bubblewrap Sandboxes; and requests to the real Sandbox
 * host. One host for all of it. Each Sandbox carries a symlink planted from
 * inside that points at a directory of the host, so "outside the workspace"
 * is something that would be hit if a refusal failed.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentFor } from "../../src/adapters/agent/index.ts";
import { costOf, DEFAULT_PRICES, priceOf } from "../../src/adapters/agent/prices.ts";
import { buildRegistry } from "../../src/jobs/registry.ts";
import type { AgentRequest, AgentUsage } from "../../src/ports/agent.ts";
import type { Sandbox } from "../../src/ports/sandbox.ts";
import { asIdempotencyKey } from "../../src/ports/vocabulary.ts";
import { type LocalSandboxes, startLocalSandboxes } from "../adapters/agent/local-sandbox.ts";
import { type Script, startScriptedModelServer, toolResults } from "../support/model-servers/scripted.ts";
import {
  type AgentOutputCase,
  casesOf,
  type HttpBody,
  type JobFileCase,
  type SandboxHostCase,
} from "./corpus.ts";

/** A directory of the host with one file: what every planted link points at. */
const outside = mkdtempSync(join(tmpdir(), "nightshift-hostile-outside-"));
writeFileSync(join(outside, "host.txt"), "the host's own");
const hostPasswd = () => createHash("sha256").update(readFileSync("/etc/passwd")).digest("hex");
const PASSWD = hostPasswd();

let sandboxes: LocalSandboxes;
let box: Sandbox;
const BOX = `hostile-box-${process.pid}`;

/** A Sandbox with a README and a link named `escape` to the host directory, made from inside. */
async function prepared(sandbox: Sandbox): Promise<Sandbox> {
  await sandbox.writeFile("/workspace/README.md", "# hostile\n");
  const made = await sandbox.exec(["ln", "-s", outside, "/workspace/escape"]);
  expect(made.exitCode).toBe(0);
  return sandbox;
}

beforeAll(async () => {
  sandboxes = await startLocalSandboxes("hostile");
  box = await prepared(sandboxes.provider.get(BOX));
}, 120_000);

afterAll(async () => {
  await sandboxes?.close();
  rmSync(outside, { recursive: true, force: true });
});

/** What is in a workspace: every entry with its type and link target, and every file's hash. */
async function workspaceState(sandbox: Sandbox): Promise<string> {
  const listed = await sandbox.exec([
    "sh",
    "-c",
    "cd /workspace && find . -printf '%y %p %l\\n' | sort && find . -type f -exec sha256sum {} + | sort",
  ]);
  expect(listed.exitCode).toBe(0);
  return listed.stdout;
}

function expectHostUntouched(): void {
  expect(readdirSync(outside)).toEqual(["host.txt"]);
  expect(readFileSync(join(outside, "host.txt"), "utf8")).toBe("the host's own");
  expect(hostPasswd()).toBe(PASSWD);
}

// ------------------------------------------------------------ job files

const GOOD = {
  source: { kind: "git", url: "https://git.example/repo.git" },
  agent: { adapter: "replay", instructions: "do it" },
  deploy: { workerName: "sample" },
  verify: { probes: [{ path: "/" }] },
};

function edited(edit: JobFileCase["edit"]): unknown {
  if ("definition" in edit) return edit.definition;
  const job = structuredClone({ name: "hostile", ...GOOD }) as Record<string, unknown>;
  for (const [path, value] of Object.entries(edit.set)) {
    const keys = path.split(".");
    let node = job;
    for (const key of keys.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys.at(-1)!] = value;
  }
  return job;
}

const jobCases = casesOf("job-file");
describe(`hostile job files (${jobCases.length} cases)`, () => {
  it.each(jobCases.map((c) => [c.name, c] as const))("refuses %s", (_name, c) => {
    const registry = buildRegistry([
      { file: "workflows/good.ts", definition: { name: "good", ...GOOD } },
      { file: "workflows/hostile.ts", definition: edited(c.edit) },
    ]);
    expect(registry.problems).toEqual(c.problems.map((p) => ({ file: "workflows/hostile.ts", ...p })));
    if (c.unchanged.includes("registry")) {
      expect([...registry.jobs.keys()]).toEqual(["good"]);
      expect([...registry.files.values()]).toEqual(["workflows/good.ts"]);
    }
  });
});

// ------------------------------------------------------------ agent output

const request = (sandbox: Sandbox): AgentRequest => ({
  idempotencyKey: asIdempotencyKey("hostile-run:write#1"),
  runId: "hostile-run",
  round: 1,
  mode: "write",
  instructions: "Change nothing outside the workspace.",
  options: {},
  report: null,
  budgetLeft: { tokens: 1_000_000, costUsd: 10 },
  sandbox,
});

const MODEL = "gpt-4.1-mini";

/** The usage the loop charges when it does not believe the server: the prompt's estimate, and the reply's. */
function estimatedUsage(first: Record<string, unknown>, replyText: string): AgentUsage {
  const [system, user] = first.messages as Array<{ content: string }>;
  const tokensIn = Math.ceil((system!.content.length + user!.content.length) / 4);
  const tokensOut = Math.ceil(`${replyText}[]`.length / 4);
  return { tokensIn, tokensOut, costUsd: costOf(priceOf(MODEL, DEFAULT_PRICES), tokensIn, tokensOut) };
}

async function runAgentCase(c: AgentOutputCase, sandbox: Sandbox) {
  if (c.agent.kind === "llm") {
    const { calls, usage } = c.agent;
    const toolCalls = calls.map((call, i) => ({
      id: `call_${i}`,
      name: call.name,
      input: call.input ?? {},
      ...(call.rawArguments !== undefined ? { rawArguments: call.rawArguments } : {}),
    }));
    const script: Script = (_body, i) =>
      i === 0 && toolCalls.length > 0
        ? { kind: "turn", toolCalls, ...(usage ? { usage } : {}) }
        : { kind: "turn", text: "done", ...(usage ? { usage } : {}) };
    const server = await startScriptedModelServer({ openai: script });
    try {
      const agent = agentFor(
        {
          adapter: "openai",
          instructions: "x",
          model: MODEL,
          options: { baseUrl: `${server.url}/v1`, apiKeyEnv: null },
        },
        {},
        { http: { sleep: async () => {}, random: () => 0.5 } },
      );
      const result = await agent.write(request(sandbox));
      expect(toolResults(server.requests.at(-1)!.body)).toEqual(c.toolResults ?? []);
      return { result, estimate: estimatedUsage(server.requests[0]!.body, "done") };
    } finally {
      await server.close();
    }
  }
  const agent = agentFor(
    { adapter: c.agent.adapter, instructions: "x", options: { command: "/workspace/.bin/cli" } },
    {},
  );
  return { result: await agent.write(request(sandbox)), estimate: null };
}

const agentCases = casesOf("agent-output");
describe(`hostile agent output (${agentCases.length} cases)`, () => {
  it.each(agentCases.map((c) => [c.name, c] as const))("survives %s", async (_name, c) => {
    const sandbox = await prepared(await sandboxes.fresh());
    // The stand-in CLI is part of the workspace the round starts from, not a change of the round.
    if (c.agent.kind === "cli") {
      await sandbox.writeFile("/workspace/.bin/cli", `#!/bin/sh\n${c.agent.script}\n`);
      expect((await sandbox.exec(["chmod", "+x", "/workspace/.bin/cli"])).exitCode).toBe(0);
    }
    const before = await workspaceState(sandbox);
    const { result, estimate } = await runAgentCase(c, sandbox);
    const seen = result.ok
      ? { ok: true, summary: result.value.summary, filesChanged: result.value.filesChanged }
      : { ok: false, code: result.error.code, message: result.error.message };
    expect(seen).toEqual(c.result);
    if (c.usage) {
      const usage = result.ok ? result.value.usage : result.error.usage;
      expect(usage).toEqual(c.usage === "estimated" ? estimate : c.usage);
    }
    if (c.unchanged.includes("workspace")) expect(await workspaceState(sandbox)).toEqual(before);
    if (c.unchanged.includes("host-files")) expectHostUntouched();
  });
});

// ------------------------------------------------------------ the Sandbox host

function hostBody(body: HttpBody): string {
  if ("json" in body) return JSON.stringify(body.json);
  if ("text" in body) return body.text;
  if ("bytes" in body) return Buffer.from(body.bytes).toString("latin1");
  return `${body.prefix ?? ""}${body.repeat.repeat(body.count)}${body.suffix ?? ""}`;
}

/** Every path under the host's state directory (no Sandbox, snapshot or file appears or goes). */
function hostState(): string[] {
  const dir = sandboxes.host.health.stateDir;
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => !p.includes("/proc/")).sort();
}

/** The workspace as the host lists it (sizes and times: a write would show), without starting a process. */
async function listing(sandbox: Sandbox) {
  return {
    files: await sandbox.listFiles("/workspace", { recursive: true }),
    readme: await sandbox.readFile("/workspace/README.md"),
  };
}

const hostCases = casesOf("sandbox-host");
describe(`hostile Sandbox host requests (${hostCases.length} cases)`, () => {
  it.each(hostCases.map((c) => [c.name, c] as const))("refuses %s", async (_name, c: SandboxHostCase) => {
    const fill = (text: string) => text.replaceAll("{box}", BOX);
    const before = { state: hostState(), workspace: await listing(box) };
    const response = await fetch(`${sandboxes.host.url}${fill(c.request.path)}`, {
      method: c.request.method,
      headers: {
        ...(c.request.auth === false ? {} : { authorization: `Bearer ${sandboxes.host.secret}` }),
        ...(c.request.body ? { "content-type": "application/json" } : {}),
      },
      ...(c.request.body ? { body: hostBody(c.request.body) } : {}),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: c.status,
      body: JSON.parse(fill(JSON.stringify(c.body))),
    });
    if (c.unchanged.includes("host-state")) expect(hostState()).toEqual(before.state);
    if (c.unchanged.includes("workspace")) expect(await listing(box)).toEqual(before.workspace);
    if (c.unchanged.includes("host-files")) expectHostUntouched();
  });
});
