/**
 * Benchmark: the agent step inside the whole loop of the example job. Runs
 * `hello-kv-openai` — the example job hello-kv with the OpenAI-compatible
 * adapter (test/adapters/agent/example-openai/) — on the real local stack
 * (`startLocalStack`: the orchestrator under wrangler dev, the Sandbox host,
 * the emulator, the egress proxy, the unmodified wrangler deploying with
 * `--temporary` from inside the Sandbox, HTTP probes), against the scripted
 * chat-completions server of the tests (reached through the egress proxy,
 * which adds the key), to the claim gate, several times on one stack.
 *
 * Reports, per successful run: tokens and cost (the scripted server's reported
 * usage, priced by the adapter at gpt-4.1-mini list prices, as the run's
 * budget ledger holds them) and the agent's share of the loop's wall time
 * (the `agent` timings of write#1 and fix#1 — the Agent port call: model
 * calls, tools in the Sandbox, the change list — over first event → claim gate).
 *
 * Run: `npx tsx bench/agents.ts` or `npm run bench -- agents` (with --write, writes the "Agents"
 * section of docs/benchmarks.md).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../src/local/net.ts";
import { median, stackCaller, timingLines, writeBenchSection } from "./support.ts";
import { startLocalStack } from "../src/local/orchestrator/stack.ts";
import {
  EXAMPLE_OPENAI_CONFIG,
  EXAMPLE_OPENAI_JOB,
  helloKvScript,
  routesTo,
} from "../test/adapters/agent/example-openai/index.ts";
import { startScriptedModelServer } from "../test/support/model-servers/scripted.ts";

const ROOT = join(import.meta.dirname, "..");
const RUNS = 5;
const TOKEN = "bench-token";
const KEY = "sk-bench-agents";

interface RunFigures {
  rounds: number;
  modelCalls: number;
  tokens: number;
  costUsd: number;
  /** First event → the claim gate. */
  loopMs: number;
  /** Inside `agent.write` (write#1 + fix#1). */
  agentMs: number;
  /** The write and fix steps' own measure (`sandboxMs`: the agent plus the snapshot after it). */
  agentStepsMs: number;
}

export interface AgentsBenchResult {
  runs: RunFigures[];
  median: RunFigures;
}

interface EventView {
  step: string | null;
  type: string;
  to: string | null;
  at: number;
  data: { sandboxMs?: number } | null;
}

export async function main(): Promise<AgentsBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "nightshift-bench-agents-"));
  const model = await startScriptedModelServer({ openai: helloKvScript, requireKey: KEY });
  const timings = timingLines();
  const stack = await startLocalStack({
    root: ROOT,
    stateDir: dir,
    port: await freePort(),
    emulatorPort: 0,
    sandboxPort: 0,
    egressPort: 0,
    config: EXAMPLE_OPENAI_CONFIG,
    egress: { routes: routesTo(model.url), keys: { OPENAI_API_KEY: KEY } },
    token: TOKEN,
    emulatorLog: () => {},
    onLine: timings.onLine,
  });
  const call = stackCaller(stack.url, TOKEN);
  const runs: RunFigures[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const callsBefore = model.requests.length;
      const { run } = await call<{ run: { id: string } }>(`/api/jobs/${EXAMPLE_OPENAI_JOB}/runs`, {});
      let view: {
        status: string;
        state: string;
        budgets: { spent: { tokens: number; costUsd: number; iterations: number } };
      };
      for (;;) {
        view = (await call<{ run: typeof view }>(`/api/runs/${run.id}`)).run;
        if (view.status === "waiting" || view.status === "final") break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (view.state !== "awaitingClaim") throw new Error(`run ${run.id} ended in ${view.state}`);
      // Timing lines arrive on wrangler dev's stdout, possibly just after the state changed.
      await new Promise((r) => setTimeout(r, 300));
      const { events } = await call<{ events: EventView[] }>(`/api/runs/${run.id}/events`);
      const timing = (step: string) => {
        const value = timings.get(run.id, step, "agent");
        if (value === undefined) throw new Error(`no agent timing for ${run.id} ${step}`);
        return value;
      };
      const writes = events.filter((e) => e.type === "write.done");
      const figures: RunFigures = {
        rounds: view.budgets.spent.iterations,
        modelCalls: model.requests.length - callsBefore,
        tokens: view.budgets.spent.tokens,
        costUsd: view.budgets.spent.costUsd,
        loopMs: events.find((e) => e.to === "awaitingClaim")!.at - events[0]!.at,
        agentMs: timing("write#1") + timing("fix#1"),
        agentStepsMs: writes.reduce((sum, e) => sum + (e.data?.sandboxMs ?? 0), 0),
      };
      runs.push(figures);
      console.log(`  run ${i}: ${JSON.stringify(figures)}`);
    }
  } finally {
    await stack.close();
    await model.close();
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
  const m = (key: keyof RunFigures) => median(runs.map((r) => r[key]));
  const result: AgentsBenchResult = {
    runs,
    median: {
      rounds: m("rounds"),
      modelCalls: m("modelCalls"),
      tokens: m("tokens"),
      costUsd: m("costUsd"),
      loopMs: m("loopMs"),
      agentMs: m("agentMs"),
      agentStepsMs: m("agentStepsMs"),
    },
  };
  await writeSection(result);
  return result;
}

async function writeSection(r: AgentsBenchResult): Promise<void> {
  const m = r.median;
  const share = (part: number) => `${Math.round((1000 * part) / m.loopMs) / 10}%`;
  const section = `## Agents

The example job with a real agent adapter: \`hello-kv-openai\` (\`test/adapters/agent/example-openai/\`: hello-kv's
project, deploy, probes and budgets, with the OpenAI-compatible adapter) on the whole local stack — the orchestrator
under \`wrangler dev\`, the Sandbox host, the unmodified wrangler 4.164.0 deploying with \`--temporary\` to the emulator,
HTTP probes — against the scripted chat-completions server of the tests, reached through the egress proxy (which adds
the key). Round 1 writes a counter answering \`{visits}\`, the probe "counter counts" fails, the fix round repairs it
from the report. Median of ${RUNS} successful runs to the claim gate on one stack, measured
${new Date().toISOString().slice(0, 10)} by \`npx tsx bench/agents.ts\` on this machine (2 cores).

| measure | value |
| --- | --- |
| rounds per successful run (write + fix) | ${m.rounds} |
| model calls per successful run (two per round: tool calls, then the summary) | ${m.modelCalls} |
| tokens per successful run (the scripted server's reported usage) | ${m.tokens} |
| cost per successful run (gpt-4.1-mini list prices: $0.40 / $1.60 per MTok) | $${m.costUsd.toFixed(6)} |
| loop wall time, first event → claim gate | ${m.loopMs} ms |
| inside the agent (\`agent.write\` of write#1 + fix#1: model calls, tools in the Sandbox, change list) | ${m.agentMs} ms |
| **the agent's share of the loop's wall time** | **${share(m.agentMs)}** |
| the write and fix steps (agent plus the snapshot after it) | ${m.agentStepsMs} ms = ${share(m.agentStepsMs)} |

The scripted model answers at once, so the agent's share here is the adapter's own cost (prompting, streaming through
the proxy, running tools in the Sandbox, the baseline copy and diff of the workspace); with a real model the share is
dominated by the model's latency. The rest of the loop is mostly wrangler's two deploys and the job's declared
propagation waits (see Loop). Per-run figures (loop / agent):
${r.runs.map((x) => `${x.loopMs} / ${x.agentMs} ms`).join(", ")}.
`;
  writeBenchSection("Agents", section);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
