/**
 * Benchmark: the agent step inside the whole loop. Runs the agent-loop job
 * (test/adapters/agent/loop/worker.ts: the real run Workflow under wrangler
 * dev, the real local Sandbox host, the OpenAI-compatible adapter against the
 * scripted server of the tests, the real verifier; the deployer is the test
 * fake) to its claim gate, several times. Reports tokens and cost per
 * successful run (the scripted server's reported usage, priced at gpt-4.1-mini
 * list prices) and the agent steps' share of the loop's wall time (write#1 +
 * fix#1 durations, as the steps measured them, over the time from the run's
 * first event to the claim gate).
 *
 * Run: `npx tsx bench/agents.ts` (writes the "Agents" section of docs/benchmarks.md).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "../src/local/orchestrator/dev-server.ts";
import { fixRepairsFromReport } from "../test/adapters/agent/loop-script.ts";
import { startLocalSandboxes } from "../test/adapters/agent/local-sandbox.ts";
import { FAKE_API_BASE } from "../test/support/fakes/ports.ts";
import { startScriptedModelServer } from "../test/support/model-servers/scripted.ts";
import { freePort } from "../test/local/sandbox/host-process.ts";

const REPO = join(import.meta.dirname, "..");
const PROJECT = "test/adapters/agent/loop/project";
const RUNS = 5;

interface RunFigures {
  tokens: number;
  costUsd: number;
  loopMs: number;
  agentMs: number;
  rounds: number;
}

export interface AgentsBenchResult {
  runs: RunFigures[];
  median: RunFigures;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function main(): Promise<AgentsBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "nightshift-bench-agents-"));
  const model = await startScriptedModelServer({ openai: fixRepairsFromReport, requireKey: "sk-bench" });
  const sandboxes = await startLocalSandboxes("bench-agents", {
    readOnlyBinds: [{ source: join(REPO, PROJECT), target: `/sources/${PROJECT}` }],
  });
  const server = await startDevServer({
    cwd: REPO,
    config: "test/adapters/agent/loop/wrangler.jsonc",
    port: await freePort(),
    persistTo: join(dir, "state"),
    stateDir: join(dir, "wrangler"),
    vars: {
      SANDBOX_HOST_URL: sandboxes.host.url,
      MODEL_BASE_URL: `${model.url}/v1`,
      OPENAI_API_KEY: "sk-bench",
    },
  });
  const call = async (path: string, json?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method: json === undefined ? "GET" : "POST",
      headers: { authorization: "Bearer test-token", "content-type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    return (await response.json()) as Record<string, unknown>;
  };
  try {
    await call("/api/signoffs", { apiBase: FAKE_API_BASE, by: "bench" });
    const runs: RunFigures[] = [];
    for (let i = 0; i < RUNS; i++) {
      const id = `bench-agents-${Date.now().toString(36)}-${i}`;
      await call("/api/jobs/agent-loop/runs", { id });
      let run: {
        state: string;
        status: string;
        budgets: { spent: { tokens: number; costUsd: number; iterations: number } };
      };
      for (;;) {
        run = (await call(`/api/runs/${id}`)).run as typeof run;
        if (run.state === "awaitingClaim") break;
        if (run.status === "final") throw new Error(`run ${id} ended ${run.state}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const { events } = (await call(`/api/runs/${id}/events`)) as {
        events: Array<{ step: string | null; type: string; to: string | null; data: unknown; at: number }>;
      };
      const first = events[0]!.at;
      const gate = events.find((e) => e.to === "awaitingClaim")!.at;
      let agentMs = 0;
      for (const e of events) {
        if (!/^(write|fix)#/.test(e.step ?? "") || e.type !== "write.done") continue;
        const data = (typeof e.data === "string" ? JSON.parse(e.data) : e.data) as {
          sandboxMs?: number;
        } | null;
        agentMs += data?.sandboxMs ?? 0;
      }
      runs.push({
        tokens: run.budgets.spent.tokens,
        costUsd: run.budgets.spent.costUsd,
        loopMs: gate - first,
        agentMs,
        rounds: run.budgets.spent.iterations,
      });
    }
    const result = {
      runs,
      median: {
        tokens: median(runs.map((r) => r.tokens)),
        costUsd: median(runs.map((r) => r.costUsd)),
        loopMs: median(runs.map((r) => r.loopMs)),
        agentMs: median(runs.map((r) => r.agentMs)),
        rounds: median(runs.map((r) => r.rounds)),
      },
    };
    writeSection(result);
    return result;
  } finally {
    await server.stop();
    await model.close();
    await sandboxes.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function writeSection(r: AgentsBenchResult): void {
  const m = r.median;
  const share = m.loopMs ? Math.round((100 * m.agentMs) / m.loopMs) : 0;
  const day = new Date().toISOString().slice(0, 10);
  const section = `## Agents

The agent-loop job (\`test/adapters/agent/loop/\`): the OpenAI-compatible adapter against the scripted
chat-completions server of the tests (round 1 writes a bug, the fix round repairs it from the verifier's
report), the real run Workflow under \`wrangler dev\`, the real local Sandbox host and verifier; the deployer
is the test fake (no wrangler, no emulator in these figures). Median of ${RUNS} successful runs to the claim
gate, measured ${day} by \`npx tsx bench/agents.ts\` on this machine (2 cores).

| measure | value |
| --- | --- |
| rounds per successful run (write + fix) | ${m.rounds} |
| tokens per successful run (scripted server's reported usage) | ${m.tokens} |
| cost per successful run (gpt-4.1-mini list prices: $0.40 / $1.60 per MTok) | $${m.costUsd.toFixed(6)} |
| loop wall time, first event → claim gate | ${m.loopMs} ms |
| agent steps (write#1 + fix#1, each including its snapshot) | ${m.agentMs} ms |
| **agent steps' share of the loop's wall time** | **${share}%** |

The scripted model answers at once, so the agent's share here is the adapter's own overhead (prompting,
streaming, running tools in the Sandbox, the baseline copy and diff for the recording, the snapshot);
with a real model the share is dominated by the model's latency. Per-run figures:
${r.runs.map((x) => `${x.loopMs} ms loop / ${x.agentMs} ms agent`).join(", ")}.
`;
  const file = join(REPO, "docs", "benchmarks.md");
  const existing = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const pattern = /## Agents\n[\s\S]*?(?=\n## |$)/;
  writeFileSync(
    file,
    pattern.test(existing) ? existing.replace(pattern, section) : `${existing.trimEnd()}\n\n${section}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((result) => console.log(JSON.stringify(result.median, null, 2)));
}
