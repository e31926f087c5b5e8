/**
 * The crash harness: the real local stack (wrangler dev, the Sandbox host under bubblewrap,
 * the emulator with the organisation's account and zone, the egress proxy in front of a
 * scripted model server) running ./jobs.ts, a notification receiver, and what a test needs
 * to kill a service at a chosen point, start it again, play the human at the gates, and
 * compare a run that was killed with one that was not.
 *
 * Chosen points are holds, not sleeps: a model call or a notification held unanswered
 * (./holds.ts), an emulator request made and left hanging (its `hang` fault), a request or
 * a process seen in flight. Every kill is counted by kind (`kills`), for docs/benchmarks.md.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import type { FaultSpec, LoggedRequest } from "../../../src/local/emulator/index.ts";
import type { StackServices } from "../../../src/local/orchestrator/stack.ts";
import { helloKvScript, routesTo } from "../../adapters/agent/example-openai/index.ts";
import { type ScriptedServer, startScriptedModelServer } from "../../support/model-servers/scripted.ts";
import {
  api,
  type EventView,
  type GateView,
  type RunView,
  startTestStack,
  type TestStack,
} from "../stack-support.ts";
import { type CrashJob, hostnameOf, recordOf, SETUP_MARKER, workerOf, ZONE } from "./jobs.ts";
import { type Hold, Holds } from "./holds.ts";
import { type Receiver, startReceiver } from "./receiver.ts";

const KEY = "sk-crash-harness";
const CONFIG = "test/e2e/crash/wrangler.jsonc";

export interface ModelCall {
  /** The job whose agent makes the call (its name is in the instructions). */
  job: string | null;
  /** A fix round's prompt (it carries the report), else a first write round's. */
  round: "write" | "fix";
  /** The call after the agent's tool calls ran (it asks for the summary). */
  afterTools: boolean;
}

export interface Harness {
  stack: TestStack;
  model: ScriptedServer;
  modelHolds: Holds<ModelCall>;
  notices: Receiver;
  org: { id: string; apiToken: string; subdomain: string };
  zoneId: string;
  /** Kill points survived, by kind ("orchestrator during deploy"): a run in flight at a kill. */
  kills: Map<string, number>;
  /** Kills, by service. */
  processKills: Map<string, number>;
  /** What happened when (seconds since the start), and the orchestrator's last lines: printed when a test fails. */
  notes: string[];
  lines: string[];
  /** The temporary accounts the emulator made, as it says each time it makes one. */
  accountsMade: string[];
  close(): Promise<void>;
}

export async function startHarness(name: string): Promise<Harness> {
  const modelHolds = new Holds<ModelCall>();
  const model = await startScriptedModelServer({
    requireKey: KEY,
    openai: (body, index) => {
      const reply = helloKvScript(body, index);
      const messages = (body.messages ?? []) as Array<{ role: string; content: unknown }>;
      const prompt = String(messages.find((m) => m.role === "user")?.content ?? "");
      const held = modelHolds.take({
        job: /\(job ([a-z0-9-]+)\)/.exec(prompt)?.[1] ?? null,
        round: prompt.includes("a fix") ? "fix" : "write",
        afterTools: messages.some((m) => m.role === "tool"),
      });
      return held ? { kind: "wait", until: held, reply } : reply;
    },
  });
  const notices = await startReceiver();
  const lines: string[] = [];
  const accountsMade: string[] = [];
  const stack = await startTestStack(name, {
    emulatorLog: (line) => {
      const made = /^provisioned temporary account (\S+)/.exec(line);
      if (made) accountsMade.push(made[1]!);
    },
    onLine: (line) => {
      lines.push(line);
      if (lines.length > 300) lines.shift();
    },
    config: CONFIG,
    organisation: { name: "Crash Harness Ltd" },
    egress: { routes: routesTo(model.url), keys: { OPENAI_API_KEY: KEY } },
    orchestratorVars: { NOTIFY_WEBHOOK_URL: notices.url },
  });
  const org = stack.organisation!;
  await emulatorAdmin(stack, "/__emulator/zones", "POST", { name: ZONE, accountId: org.id });
  const zones = await cfAs<Array<{ id: string }>>(stack, org.apiToken, `/zones?name=${ZONE}`);
  return {
    stack,
    model,
    modelHolds,
    notices,
    org,
    zoneId: zones[0]!.id,
    kills: new Map(),
    processKills: new Map(),
    notes: [],
    lines,
    accountsMade,
    async close() {
      modelHolds.releaseAll();
      await stack.dispose();
      await Promise.allSettled([model.close(), notices.close()]);
    },
  };
}

export async function emulatorAdmin(stack: TestStack, path: string, method: string, json?: unknown) {
  const response = await fetch(`${stack.emulator.url}${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${stack.emulatorSecret}` },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A Cloudflare API call as the holder of `token` (the organisation, here). */
async function cfAs<T>(stack: TestStack, token: string, path: string): Promise<T> {
  const response = await fetch(`${stack.emulator.apiBaseUrl}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await response.json()) as { success: boolean; result: T; errors: unknown };
  if (!body.success) throw new Error(`${path}: ${JSON.stringify(body.errors)}`);
  return body.result;
}

/** Arms an emulator fault (`hang`: the request is handled, its answer never sent). */
export const fault = (h: Harness, spec: FaultSpec) =>
  emulatorAdmin(h.stack, "/__emulator/faults", "POST", spec);

// ---------------------------------------------------------------- kills

/**
 * Kills `service`, runs `whileDown`, then starts it again on the same port, secrets and state.
 * `points` are where the kill caught the runs in flight ("orchestrator during deploy"), one
 * each: several runs held at different points share one kill.
 */
export async function killAndRestart(
  h: Harness,
  service: keyof StackServices,
  points: string[],
  whileDown: () => Promise<void> = async () => {},
): Promise<void> {
  const handle = h.stack.services[service];
  note(h, `kill ${handle.name}: ${points.join(", ")}`);
  await handle.kill();
  await whileDown();
  await handle.start();
  note(h, `started ${handle.name} again`);
  h.processKills.set(handle.name, (h.processKills.get(handle.name) ?? 0) + 1);
  for (const kind of points) h.kills.set(kind, (h.kills.get(kind) ?? 0) + 1);
}

const began = Date.now();
export function note(h: Harness, text: string): void {
  h.notes.push(`${((Date.now() - began) / 1000).toFixed(1)}s ${text}`);
}

/** The notes and the orchestrator's last lines, for a failed test's output. */
export function diagnose(h: Harness): string {
  return [`notes:`, ...h.notes, `orchestrator's last lines:`, ...h.lines.slice(-120)].join("\n");
}

// ---------------------------------------------------------------- watching

export async function until<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 300_000) {
  const end = Date.now() + limitMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}

export const runOf = async (h: Harness, id: string) =>
  (
    await api<{ run: RunView; gates: Array<GateView & { claimedBeforeApprovalAt: number | null }> }>(
      h.stack,
      `/api/runs/${id}`,
    )
  ).body;

export async function eventsOf(h: Harness, id: string): Promise<Array<EventView & { seq: number }>> {
  const all: Array<EventView & { seq: number }> = [];
  for (;;) {
    const after = all.at(-1)?.seq ?? 0;
    const page = await api<{ events: Array<EventView & { seq: number }> }>(
      h.stack,
      `/api/runs/${id}/events?after=${after}`,
    );
    if (page.body.events.length === 0) return all;
    all.push(...page.body.events);
  }
}

/** Waits for the run to record `step` `type` (a transition of its journal); fails fast if it ended otherwise. */
export function recorded(h: Harness, id: string, step: string, type?: string) {
  return until(`run ${id} to record ${step} ${type ?? ""}`, async () => {
    const events = await eventsOf(h, id);
    if (events.some((e) => e.step === step && (type === undefined || e.type === type))) return true;
    const { run } = await runOf(h, id);
    if (run.status === "final")
      throw new Error(`run ${id} ended ${run.state}: ${JSON.stringify(run.outcome)}`);
    return undefined;
  });
}

export function inState(h: Harness, id: string, state: string) {
  return until(`run ${id} in ${state}`, async () => {
    const { run } = await runOf(h, id);
    if (run.status === "final" && run.state !== state)
      throw new Error(`run ${id} ended ${run.state}: ${JSON.stringify(run.outcome)}`);
    return run.state === state ? run : undefined;
  });
}

/** A request the emulator logged (after `since`) that matches: it is under way or done. */
export function requestSeen(h: Harness, matches: (r: LoggedRequest) => boolean, since = 0) {
  return until("the emulator to see the request", async () =>
    h.stack.emulator.requestLog.list({ since: String(since) }).find(matches),
  );
}

/** Waits until a process of some Sandbox runs a command line containing `marker`. */
export function sandboxProcess(marker: string) {
  return until(`a Sandbox process running ${marker}`, async () => {
    for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
      const read = (file: string) => readFile(join("/proc", pid, file), "utf8").catch(() => "");
      const cmdline = (await read("cmdline")).replaceAll("\0", " ");
      if (cmdline.includes(marker) && (await read("environ")).includes("HOME=/home/sandbox")) return pid;
    }
    return undefined;
  });
}

export const SETUP_RUNNING = SETUP_MARKER;

// ---------------------------------------------------------------- the human

export async function startRun(h: Harness, job: CrashJob): Promise<string> {
  const started = await api<{ run: { id: string } }>(h.stack, `/api/jobs/${job}/runs`, { json: {} });
  expect(started.status).toBe(201);
  return started.body.run.id;
}

/** The human claims the run's temporary account into the organisation's, through its claim page. */
export async function claim(h: Harness, id: string): Promise<void> {
  const { run } = await runOf(h, id);
  const claimed = await fetch(run.account!.claimUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `account=${h.org.id}`,
  });
  expect(claimed.status).toBe(200);
}

/** Approves the run's pending gate of `kind`, as a human through the API; the decision must hold. */
export async function approve(h: Harness, id: string, kind: "claim" | "dns"): Promise<void> {
  const result = await api(h.stack, `/api/runs/${id}/gates/${kind}/approve`, {
    json: { by: "approver-1", reason: `crash harness: ${kind}` },
  });
  expect(result.status, JSON.stringify(result.body)).toBe(200);
}

/** Waits for the run to end, firing the sweeper as production's cron would. */
export function final(h: Harness, id: string) {
  return until(`run ${id} to end`, async () => {
    await h.stack.sweep();
    const { run } = await runOf(h, id);
    return run.status === "final" ? run : undefined;
  });
}

/** An uninterrupted run: claim, approve the claim, approve the dns plan, succeed. */
export async function drive(h: Harness, job: CrashJob): Promise<string> {
  const id = await startRun(h, job);
  await inState(h, id, "awaitingClaim");
  await claim(h, id);
  await approve(h, id, "claim");
  await inState(h, id, "awaitingDns");
  await approve(h, id, "dns");
  await final(h, id);
  return id;
}

// ---------------------------------------------------------------- what must hold

/** What a run comes to: its end, its transitions (step and event), its gates and their decisions. */
export async function outcomeOf(h: Harness, id: string) {
  const { run, gates } = await runOf(h, id);
  const events = await eventsOf(h, id);
  return {
    state: run.state,
    status: run.status,
    outcome: run.outcome,
    transitions: events.filter((e) => e.to !== null).map((e) => `${e.step} ${e.type} → ${e.to}`),
    gates: gates.map((g) => ({
      kind: g.kind,
      seq: g.seq,
      status: g.status,
      decidedBy: g.decidedBy,
      claimedBeforeApproval: g.claimedBeforeApprovalAt !== null,
    })),
    // Audit events of the human decisions: each one once.
    decisions: events.filter((e) => e.type === "gate.approved" && e.step === null).map((e) => e.actor),
  };
}

/** Writes of the emulator's log that create something, per logical operation of one run's job. */
export function creations(h: Harness, job: CrashJob) {
  const log = h.stack.emulator.requestLog.list({ kind: "api" });
  // Handled: answered 2xx, or made and left hanging (the change happened, the answer was lost).
  const made = (r: LoggedRequest) => (r.status >= 200 && r.status < 300) || r.fault === "hang";
  const worker = workerOf(job);
  const at = (pattern: RegExp, method: string) =>
    log.filter((r) => r.method === method && pattern.test(r.path) && made(r)).length;
  return {
    // A first deploy uploads the script; a redeploy uploads a version and deploys it.
    scriptUploads: at(new RegExp(`/workers/scripts/${worker}$`), "PUT"),
    versionUploads: at(new RegExp(`/workers/scripts/${worker}/versions$`), "POST"),
    deployments: at(new RegExp(`/workers/scripts/${worker}/deployments$`), "POST"),
    hostname: hostnameOf(job),
    record: recordOf(job),
  };
}

/** The temporary accounts the emulator made (whether or not its answer got back). */
export function provisionedAccounts(h: Harness): number {
  return h.accountsMade.length;
}

/** The zone's records and the organisation's custom domains, as they are now. */
export async function zoneNow(h: Harness) {
  const records = await cfAs<Array<{ type: string; name: string; content: string }>>(
    h.stack,
    h.org.apiToken,
    `/zones/${h.zoneId}/dns_records?per_page=100`,
  );
  const domains = await cfAs<Array<{ hostname: string; service: string }>>(
    h.stack,
    h.org.apiToken,
    `/accounts/${h.org.id}/workers/domains`,
  );
  return { records, domains };
}

/** How many creating DNS calls were made for one run: record creates and custom-domain attaches. */
export function dnsWrites(h: Harness) {
  const log = h.stack.emulator.requestLog.list({ kind: "api" });
  const made = (r: LoggedRequest) => (r.status >= 200 && r.status < 300) || r.fault === "hang";
  return {
    recordCreates: log.filter((r) => r.method === "POST" && r.path.endsWith("/dns_records") && made(r))
      .length,
    domainAttaches: log.filter((r) => r.method === "PUT" && r.path.endsWith("/workers/domains") && made(r))
      .length,
  };
}

/** Every run's audit events, in one sequence: numbered 1, 2, 3, … with none missing or twice. */
export async function auditLog(h: Harness, ids: string[]) {
  const all = (await Promise.all(ids.map((id) => eventsOf(h, id)))).flat();
  return all.map((e) => e.seq).sort((a, b) => a - b);
}

/** Prints the kills and kill points survived (the figures of docs/benchmarks.md "Reliability"). */
export function reportKills(h: Harness, file: string): void {
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const lines = [...h.kills.entries()].map(([kind, n]) => `  ${kind}: ${n}`);
  const by = [...h.processKills.entries()].map(([name, n]) => `${name} ${n}`).join(", ");
  console.log(
    `crash harness ${file}: ${sum(h.processKills)} kills (${by}), ${sum(h.kills)} kill points survived\n${lines.join("\n")}`,
  );
}

/** The run waits at its gate: the gate is open, its notification delivered and answered. */
export function atGate(h: Harness, id: string, gate: "claim#1" | "dns#1") {
  return until(`run ${id} waiting at ${gate}`, async () => {
    const answered = h.notices.deliveries.some((d) => d.runId === id && d.gate === gate && d.answered);
    if (!answered) return undefined;
    const { run, gates } = await runOf(h, id);
    if (run.status === "final")
      throw new Error(`run ${id} ended ${run.state}: ${JSON.stringify(run.outcome)}`);
    return gates.some((g) => `${g.kind}#${g.seq}` === gate && g.status === "pending") ? run : undefined;
  });
}

export type { Hold };
