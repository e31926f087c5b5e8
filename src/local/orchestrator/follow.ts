/**
 * Following a run in the terminal (`npm start` does it for the example job):
 * one line per finished step from the run's audit events, a spinner on the
 * step in progress (TTY only), and, once the run waits at a gate or ends,
 * where it stopped and how to approve. Reads the API only; non-durable.
 */
import { z } from "zod";

const eventSchema = z.object({
  seq: z.number(),
  step: z.string().nullable(),
  type: z.string(),
  actor: z.string().nullable(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  data: z.unknown(),
  at: z.number(),
});
export type TimelineEvent = z.infer<typeof eventSchema>;

const runSchema = z.object({
  id: z.string(),
  status: z.string(),
  state: z.string(),
  currentStep: z.string().nullable(),
  deploymentUrl: z.string().nullable(),
  // `claimUrl` is null for a caller who may not decide the claim gate (the URL is a credential).
  account: z.object({ id: z.string(), claimUrl: z.string().nullable(), expiresAt: z.number() }).nullable(),
  outcome: z.unknown(),
});
const gateSchema = z.object({
  kind: z.string(),
  ref: z.string(),
  status: z.string(),
  deadlineAt: z.number(),
});
const runReplySchema = z.object({ run: runSchema, gates: z.array(gateSchema) });
export type RunInfo = z.infer<typeof runSchema>;

export interface FollowOptions {
  url: string;
  token: string;
  runId: string;
  /** Printed lines (without the spinner). */
  log: (line: string) => void;
  /** A TTY to draw the spinner on; none → no spinner. */
  tty?: NodeJS.WriteStream | null;
  signal?: AbortSignal;
  pollMs?: number;
}

export interface FollowResult {
  run: RunInfo;
  gate: z.infer<typeof gateSchema> | null;
  events: TimelineEvent[];
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Follows until the run waits at a gate, ends, or `signal` aborts (then resolves with what it saw). */
export async function followRun(options: FollowOptions): Promise<FollowResult> {
  const get = async (path: string) => {
    const response = await fetch(`${options.url}${path}`, {
      headers: { authorization: `Bearer ${options.token}` },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    return response.json() as Promise<unknown>;
  };
  const events: TimelineEvent[] = [];
  let after = 0;
  let lastAt: number | null = null;
  let frame = 0;
  const spin = (text: string) => {
    if (!options.tty) return;
    options.tty.write(`\r\u001b[2K  ${SPINNER[frame++ % SPINNER.length]} ${text}`);
  };
  const clearSpin = () => options.tty?.write("\r\u001b[2K");
  try {
    for (;;) {
      const fresh = z
        .object({ events: z.array(eventSchema) })
        .parse(await get(`/api/runs/${encodeURIComponent(options.runId)}/events?after=${after}`)).events;
      if (fresh.length) clearSpin();
      for (const event of fresh) {
        after = Math.max(after, event.seq);
        events.push(event);
        options.log(timelineLine(event, lastAt));
        lastAt = event.at;
      }
      const { run, gates } = runReplySchema.parse(
        await get(`/api/runs/${encodeURIComponent(options.runId)}`),
      );
      if (run.status === "waiting" || run.status === "final") {
        // The journal writes the event and the run row in one batch: nothing is left to print.
        clearSpin();
        const gate = run.status === "waiting" ? (gates.find((g) => g.status === "pending") ?? null) : null;
        return { run, gate, events };
      }
      spin(`${run.state}…`);
      await sleep(options.pollMs ?? 150, options.signal);
    }
  } finally {
    clearSpin();
  }
}

/** One line of the timeline: step, what happened, where the run went, how long since the last line. */
export function timelineLine(event: TimelineEvent, previousAt: number | null): string {
  const took = previousAt === null ? "" : `  (${((event.at - previousAt) / 1000).toFixed(1)} s)`;
  const failed = /failed|rejected|timedOut|cancelled|aborted/.test(event.type);
  const mark = failed ? "✗" : "✓";
  const step = (event.step ?? "—").padEnd(16);
  const to = event.to && event.to !== event.from ? ` → ${event.to}` : "";
  return `  ${mark} ${step} ${event.type}${to}${detail(event)}${took}`;
}

function detail(event: TimelineEvent): string {
  const data = (event.data ?? {}) as Record<string, unknown>;
  if (event.type === "deploy.done" && typeof data.url === "string") return `  ${data.url}`;
  if (event.type === "write.done" && typeof data.summary === "string")
    return `  ${data.summary.slice(0, 120)}`;
  // Which checks failed, and where the whole report is (`nightshift logs <run> --step <step>`).
  if (event.type === "verify.failed" && typeof data.failing === "string")
    return `  ${data.failing.slice(0, 200)}`;
  const error = data.error as { code?: string; message?: string } | undefined;
  if (error?.code) return `  [${error.code}] ${(error.message ?? "").slice(0, 120)}`;
  if (typeof data.by === "string" && event.type.startsWith("gate.")) return `  by ${data.by}`;
  return "";
}

/** What to print once the run stopped: where it waits and the exact commands to approve or reject. */
export function nextSteps(input: {
  result: FollowResult;
  url: string;
  tokenHint: string;
  localUrl?: (publicUrl: string) => string;
}): string[] {
  const { run, gate } = input.result;
  if (run.status === "final") return [`run ${run.id} ended: ${run.state}`];
  if (!gate) return [`run ${run.id} is ${run.status} in ${run.state}`];
  const lines = [
    `run ${run.id} waits at the ${gate.kind} gate (${gate.ref}) until ${new Date(gate.deadlineAt).toISOString()}`,
  ];
  if (run.deploymentUrl) {
    lines.push(`  preview:   ${run.deploymentUrl}`);
    if (input.localUrl)
      lines.push(`             ${input.localUrl(`${run.deploymentUrl}/`)}  (through the local emulator)`);
  }
  if (run.account)
    lines.push(
      `  claim URL: ${run.account.claimUrl ?? "hidden (only those who may decide the claim gate see it)"}  (account expires ${new Date(run.account.expiresAt).toISOString()})`,
    );
  const auth = `-H "authorization: Bearer ${input.tokenHint}"`;
  const gateUrl = `${input.url}/api/runs/${run.id}/gates/${gate.kind}`;
  lines.push(
    `  inbox:     ${input.url}/inbox`,
    "  approve:",
    `    curl -X POST ${auth} -H 'content-type: application/json' -d '{"reason":"looks good"}' ${gateUrl}/approve`,
    "  reject:",
    `    curl -X POST ${auth} -H 'content-type: application/json' -d '{"reason":"why not"}' ${gateUrl}/reject`,
  );
  return lines;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
