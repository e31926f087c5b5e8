/**
 * The crash harness's jobs: the example job (workflows/hello-kv.ts: same project, probes and
 * budgets) with the OpenAI-compatible agent (so write and fix rounds make model calls through
 * the egress proxy), a setup command (so prepare runs a command in the Sandbox), claimed into
 * the organisation's account, then a custom domain and a TXT record behind the dns gate. One
 * job per run, each with its own Worker, hostname and record, so runs never share a resource
 * and each run's requests can be told apart in the emulator's log. Served by ./worker.ts only.
 */
import type { JobInput } from "../../../src/jobs/schema.ts";
import helloKv from "../../../workflows/hello-kv.ts";
import helloKvOpenai from "../../adapters/agent/example-openai/hello-kv-openai.ts";

export const ZONE = "nightshift-crash.test";
/** What prepare's setup prints: how the harness finds the setup command among the machine's processes. */
export const SETUP_MARKER = "crash-harness-setup";

export const CRASH_JOBS = [
  "crash-ref-o",
  "crash-o-a",
  "crash-o-b",
  "crash-o-c",
  "crash-ref-s",
  "crash-run-s",
] as const;
export type CrashJob = (typeof CRASH_JOBS)[number];

export const workerOf = (job: CrashJob) => `hello-${job}`;
export const hostnameOf = (job: CrashJob) => `${job}.${ZONE}`;
export const recordOf = (job: CrashJob) => `_${job}.${ZONE}`;

/** One crash job (one file each, ./crash-*.ts: a job lives in a file of its own name). */
export function crashJob(name: CrashJob): JobInput {
  return {
    ...helloKv,
    name,
    description: "The example job through claim and DNS, for the crash harness (tests).",
    triggers: [{ kind: "manual" }],
    // Long enough for the harness to see it running inside the Sandbox.
    setup: [`sleep 2 && echo ${SETUP_MARKER}`],
    // The job's name in the prompt tells the harness's model server whose call it is holding.
    agent: { ...helloKvOpenai.agent, instructions: `${helloKvOpenai.agent.instructions} (job ${name})` },
    // settle: the propagation wait the harness uses to arm the emulator before verify reads it.
    deploy: { ...helloKv.deploy, workerName: workerOf(name), settle: "2s", claimPoll: "1s" },
    gates: {
      claim: { approvers: ["approver"], timeout: "30m" },
      dns: { approvers: ["approver"], timeout: "30m" },
      tos: { approvers: ["legal"], timeout: "30m" },
    },
    dns: {
      zone: ZONE,
      hostname: hostnameOf(name),
      allowedHostnames: [recordOf(name)],
      records: [{ type: "TXT", name: recordOf(name), content: "v=1" }],
    },
  } satisfies JobInput;
}
