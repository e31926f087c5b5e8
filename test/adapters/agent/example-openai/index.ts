/**
 * What the agent end-to-end test and the agents benchmark share: the orchestrator config
 * that serves the test-only job `hello-kv-openai`, and the scripted "model" for it.
 *
 * The script reads what it is sent, like a model: round 1 reads src/index.ts and writes a
 * counter that answers `{visits}` (the probe "counter counts" wants `{count}`); a fix round
 * whose prompt carries that failing probe renames the field with an edit. Each round is two
 * calls (tool calls, then the summary) with fixed reported usage (USAGE).
 */
import type { EgressRoute } from "../../../../src/ports/egress-routes.ts";
import { EGRESS_ROUTES } from "../../../../src/ports/egress-routes.ts";
import type { Script } from "../../../support/model-servers/scripted.ts";

export const EXAMPLE_OPENAI_CONFIG = "test/adapters/agent/example-openai/wrangler.jsonc";
export const EXAMPLE_OPENAI_JOB = "hello-kv-openai";

/** Reported usage per call: round 1 (tools, summary), then the fix round (tools, summary). */
export const USAGE = {
  write: [
    { in: 2400, out: 520 },
    { in: 3100, out: 90 },
  ],
  fix: [
    { in: 3400, out: 140 },
    { in: 3700, out: 70 },
  ],
} as const;
const sum = (xs: ReadonlyArray<{ in: number; out: number }>, k: "in" | "out") =>
  xs.reduce((a, x) => a + x[k], 0);
export const TOKENS_PER_RUN = [...USAGE.write, ...USAGE.fix].reduce((a, x) => a + x.in + x.out, 0);
/** gpt-4.1-mini list prices ($0.40 / $1.60 per million tokens in / out), as src/adapters/agent/prices.ts has them. */
export const COST_PER_RUN =
  ((sum(USAGE.write, "in") + sum(USAGE.fix, "in")) * 0.4 +
    (sum(USAGE.write, "out") + sum(USAGE.fix, "out")) * 1.6) /
  1e6;

const COUNTER = (field: string) => `interface Env {
  VISITS: KVNamespace;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/") return new Response("hello from hello-kv\\n");
    if (url.pathname === "/count") {
      const visits = Number((await env.VISITS.get("visits")) ?? "0") + 1;
      await env.VISITS.put("visits", String(visits));
      return Response.json(${field});
    }
    return new Response("not found\\n", { status: 404 });
  },
};
`;

export const helloKvScript: Script = (body) => {
  const messages = (body.messages ?? []) as Array<{ role: string; content: unknown }>;
  const prompt = String(messages.find((m) => m.role === "user")?.content ?? "");
  const answered = messages.some((m) => m.role === "tool");
  const isFix = prompt.includes("a fix");
  const usage = isFix ? USAGE.fix : USAGE.write;
  if (answered)
    return {
      kind: "turn",
      text: isFix
        ? "The probe 'counter counts' wants {count}; the handler answered {visits}. Renamed the field."
        : "Added GET /count: increments a counter in VISITS and returns it as JSON.",
      usage: usage[1],
    };
  if (!isFix)
    return {
      kind: "turn",
      toolCalls: [
        { id: "call_r1", name: "read_file", input: { path: "src/index.ts" } },
        {
          id: "call_w1",
          name: "write_file",
          input: { path: "src/index.ts", content: COUNTER("{ visits }") },
        },
      ],
      usage: usage[0],
    };
  if (prompt.includes("[FAIL]") && prompt.includes('"counter counts"'))
    return {
      kind: "turn",
      toolCalls: [
        {
          id: "call_f1",
          name: "edit_file",
          input: {
            path: "src/index.ts",
            old_text: "Response.json({ visits })",
            new_text: "Response.json({ count: visits })",
          },
        },
      ],
      usage: usage[0],
    };
  return { kind: "turn", text: "The report does not say what failed; nothing changed.", usage: usage[0] };
};

/** The egress proxy's routes with the OpenAI one pointed at a local model server. */
export function routesTo(modelUrl: string): EgressRoute[] {
  return EGRESS_ROUTES.map((route) => (route.name === "openai" ? { ...route, upstream: modelUrl } : route));
}
