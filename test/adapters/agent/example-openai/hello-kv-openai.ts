/**
 * The example job (workflows/hello-kv.ts) with a real agent: the OpenAI-compatible adapter
 * with its default base URL, so in local mode it reaches the model through the egress proxy
 * (which tests point at a scripted chat-completions server). Same project, deploy, probes,
 * budgets and gates. Test-only: served by ./worker.ts, never by the shipped Worker.
 */
import type { JobInput } from "../../../../src/jobs/schema.ts";
import helloKv from "../../../../workflows/hello-kv.ts";

export default {
  ...helloKv,
  name: "hello-kv-openai",
  description: "The example job with the OpenAI-compatible agent (tests and the agents benchmark).",
  triggers: [{ kind: "manual" }],
  agent: {
    adapter: "openai",
    model: "gpt-4.1-mini",
    instructions: helloKv.agent.instructions,
    options: { maxSteps: 8 },
  },
} satisfies JobInput;
