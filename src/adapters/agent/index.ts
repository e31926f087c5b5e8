/**
 * `agentFor(spec, env)`: the job's `agent.adapter` name → an Agent. Adapters:
 * `replay` (offline, the default of the examples), `openai` (any
 * OpenAI-compatible chat-completions server), `anthropic` (Messages API), and
 * the coding-agent CLIs `claude-code`, `codex`, `opencode` run in the Sandbox.
 * Options come from the job's `agent.options` (validated here: a bad option is
 * a `refused` round naming its path); keys come from the orchestrator's
 * secrets in `env` and are used by the Worker-side adapters only, never passed
 * into a Sandbox. Real agents are wrapped so each round is also recorded
 * (artifact `<key>:recording`) for `nightshift record`.
 */
import { z } from "zod";
import type { Job } from "../../jobs/schema.ts";
import type { Agent, AgentRequest } from "../../ports/agent.ts";
import { err } from "../../ports/result.ts";
import { anthropicClient } from "./anthropic.ts";
import { claudeCode } from "./cli/claude-code.ts";
import { codex } from "./cli/codex.ts";
import { opencode } from "./cli/opencode.ts";
import { type CliSpec, createCliAgent, type Egress } from "./cli/runner.ts";
import { EGRESS_ROUTES, PLACEHOLDER_KEY } from "../../ports/egress-routes.ts";
import { createLlmAgent } from "./llm-agent.ts";
import type { ModelHttpOptions } from "./model-http.ts";
import { openaiClient } from "./openai.ts";
import { DEFAULT_PRICES, priceTableSchema } from "./prices.ts";
import { diffingAgent } from "./diffing.ts";
import { recordingAgent } from "./recording.ts";
import { createReplayAgent, REPLAY_ADAPTER } from "./replay.ts";

export const AGENT_ADAPTERS = [
  REPLAY_ADAPTER,
  "openai",
  "anthropic",
  "claude-code",
  "codex",
  "opencode",
] as const;
export type AgentAdapterName = (typeof AGENT_ADAPTERS)[number];

/**
 * What agentFor is given by `src/wiring.ts`: the secrets a job may name (`apiKeyEnv`), by name
 * — never the orchestrator's own variables.
 */
export interface AgentSecrets {
  readonly [name: string]: string | undefined;
  /**
   * Local mode: the egress proxy CLIs in the Sandbox reach model APIs through; the Worker-side
   * adapters use it too when the orchestrator has no key of its own (see `throughEgressProxy`).
   */
  EGRESS_PROXY_URL?: string;
}

export interface AgentForOptions {
  /** Retry timing for model calls (tests, benches). */
  http?: ModelHttpOptions;
  /** Record each round of a real agent (default: when artifacts can be saved). */
  record?: boolean;
  /**
   * Where a round's transcripts and recordings go (the Worker: D1 artifacts, given by
   * `src/wiring.ts`); without it nothing is kept.
   */
  saveArtifact?: (artifact: {
    ref: string;
    runId: string;
    kind: string;
    body: string;
    at: number;
  }) => Promise<string>;
}

const MINUTE = 60_000;
const common = {
  prices: priceTableSchema.optional(),
  /** Milliseconds for one round; below the write step's 30-minute timeout. */
  timeLimitMs: z
    .number()
    .int()
    .positive()
    .max(29 * MINUTE)
    .default(25 * MINUTE),
  /** The job's replay session may stay beside a real adapter's options (ignored here). */
  session: z.unknown().optional(),
};
const llmOptions = (defaults: {
  baseUrl: string;
  apiKeyEnv: string;
  contextWindow: number;
  maxOutputTokens: number;
}) =>
  z.strictObject({
    ...common,
    baseUrl: z.url().default(defaults.baseUrl),
    /** Which orchestrator secret holds the key; `null`: send none (local model servers). */
    apiKeyEnv: z.string().min(1).nullable().default(defaults.apiKeyEnv),
    stream: z.boolean().default(true),
    maxSteps: z.number().int().min(1).max(200).default(30),
    maxOutputTokens: z.number().int().positive().default(defaults.maxOutputTokens),
    contextWindow: z.number().int().positive().default(defaults.contextWindow),
    headers: z.record(z.string(), z.string()).optional(),
  });
const openaiOptions = llmOptions({
  baseUrl: "https://api.openai.com/v1",
  apiKeyEnv: "OPENAI_API_KEY",
  contextWindow: 128_000,
  maxOutputTokens: 4_096,
});
const anthropicOptions = llmOptions({
  baseUrl: "https://api.anthropic.com",
  apiKeyEnv: "ANTHROPIC_API_KEY",
  contextWindow: 200_000,
  maxOutputTokens: 8_192,
});
const cliOptions = z.strictObject({
  ...common,
  command: z.string().min(1).optional(),
  maxTurns: z.number().int().min(1).max(500).default(50),
  env: z.record(z.string(), z.string()).optional(),
});

const DEFAULT_MODELS: Record<string, string | null> = {
  openai: "gpt-4.1",
  anthropic: "claude-sonnet-4-5",
  "claude-code": null,
  codex: null,
  opencode: null,
};
const CLIS: Record<string, CliSpec> = { "claude-code": claudeCode, codex, opencode };

function refusing(name: string, error: z.ZodError): Agent {
  const issue = error.issues[0];
  const where = ["agent", "options", ...(issue?.path ?? []).map(String)].join(".");
  return { name, write: async () => err({ code: "refused", message: `${where}: ${issue?.message}` }) };
}

function artifactSaver(options: AgentForOptions) {
  const put = options.saveArtifact;
  if (!put) return undefined;
  // Artifact kinds are `agent-<kind>` unless named: the diffs are `diff` and `round-diff`, which
  // the gate page reads whatever the adapter.
  return (request: AgentRequest, kind: string, body: string, artifactKind = `agent-${kind}`) =>
    put({
      ref: `${request.idempotencyKey}:${kind}`,
      runId: request.runId,
      kind: artifactKind,
      body,
      at: Date.now(),
    });
}

function secret(env: AgentSecrets, name: string | null): string | null {
  if (name === null) return null;
  const value = (env as Record<string, unknown>)[name];
  return typeof value === "string" && value ? value : null;
}

/**
 * Local mode: a Worker-side adapter whose key the orchestrator does not hold reaches a known
 * model API through the egress proxy, which adds the key `npm start` found in its own
 * environment (so keys need not be copied into wrangler's variables). Only for the route whose
 * upstream and secret match the adapter's `baseUrl` and `apiKeyEnv`; the adapter sends the
 * placeholder, which the proxy replaces.
 */
export function throughEgressProxy(
  baseUrl: string,
  apiKeyEnv: string | null,
  proxyUrl: string | undefined,
): { baseUrl: string; apiKey: string } | null {
  if (!proxyUrl || apiKeyEnv === null) return null;
  const target = new URL(baseUrl);
  const route = EGRESS_ROUTES.find(
    (r) => r.secret === apiKeyEnv && new URL(r.upstream).origin === target.origin,
  );
  if (!route) return null;
  const path = target.pathname.replace(/\/+$/, "");
  return { baseUrl: `${proxyUrl.replace(/\/+$/, "")}/${route.name}${path}`, apiKey: PLACEHOLDER_KEY };
}

/** The adapter for a job's `agent` section. Unknown names fail the round with a clear message. */
export function agentFor(spec: Job["agent"], env: AgentSecrets, options: AgentForOptions = {}): Agent {
  const save = artifactSaver(options);
  if (!save) return buildAgent(spec, env, options);
  const inner = diffingAgent(buildAgent(spec, env, options), (request, kind, body) =>
    save(request, kind, body, kind),
  );
  if (spec.adapter === REPLAY_ADAPTER || options.record === false) return inner;
  return recordingAgent(inner, async (request, round) => {
    await save(request, "recording", JSON.stringify({ agent: recordedFromLabel(spec), round }));
  });
}

/** How a recording names the agent that made it (shown wherever it replays). */
export function recordedFromLabel(spec: Job["agent"]): string {
  const model = spec.model ?? DEFAULT_MODELS[spec.adapter] ?? null;
  return model ? `${spec.adapter} (${model})` : spec.adapter;
}

function buildAgent(spec: Job["agent"], env: AgentSecrets, options: AgentForOptions): Agent {
  const save = artifactSaver(options);
  const model = spec.model ?? DEFAULT_MODELS[spec.adapter] ?? null;
  if (spec.adapter === REPLAY_ADAPTER) return createReplayAgent();
  if (spec.adapter === "openai" || spec.adapter === "anthropic") {
    const parsed = (spec.adapter === "openai" ? openaiOptions : anthropicOptions).safeParse(spec.options);
    if (!parsed.success) return refusing(spec.adapter, parsed.error);
    const o = parsed.data;
    const own = secret(env, o.apiKeyEnv);
    const proxied = own === null ? throughEgressProxy(o.baseUrl, o.apiKeyEnv, env.EGRESS_PROXY_URL) : null;
    const apiKey = own ?? proxied?.apiKey ?? null;
    if (o.apiKeyEnv !== null && apiKey === null)
      return {
        name: spec.adapter,
        write: async () =>
          err({
            code: "refused",
            message: `the ${spec.adapter} adapter needs the secret ${o.apiKeyEnv} in the orchestrator (in local mode: in the environment of \`npm start\`)`,
          }),
      };
    const settings = { baseUrl: proxied?.baseUrl ?? o.baseUrl, apiKey, model: model!, http: options.http };
    const client =
      spec.adapter === "openai"
        ? openaiClient({ ...settings, stream: o.stream, headers: o.headers })
        : anthropicClient(settings);
    return createLlmAgent(spec.adapter, client, {
      maxSteps: o.maxSteps,
      maxOutputTokens: o.maxOutputTokens,
      contextWindow: o.contextWindow,
      prices: { ...DEFAULT_PRICES, ...o.prices },
      timeLimitMs: o.timeLimitMs,
      saveTranscript: save && ((request, body) => save(request, "transcript", body)),
    });
  }
  const cli = CLIS[spec.adapter];
  if (cli) {
    const parsed = cliOptions.safeParse(spec.options);
    if (!parsed.success) return refusing(spec.adapter, parsed.error);
    const o = parsed.data;
    const egress: Egress =
      typeof env.EGRESS_PROXY_URL === "string" && env.EGRESS_PROXY_URL
        ? { kind: "proxy", url: env.EGRESS_PROXY_URL.replace(/\/+$/, "") }
        : { kind: "outbound-handlers" };
    return createCliAgent(cli, {
      command: o.command,
      model,
      maxTurns: o.maxTurns,
      timeLimitMs: o.timeLimitMs,
      egress,
      prices: { ...DEFAULT_PRICES, ...o.prices },
      env: o.env,
      saveArtifact: save,
    });
  }
  return {
    name: spec.adapter,
    write: async () =>
      err({
        code: "refused",
        message: `unknown agent adapter "${spec.adapter}"; known: ${AGENT_ADAPTERS.join(", ")}`,
      }),
  };
}
