/**
 * `nightshift record <run-id> [--out file] [--url URL] [--token T]`: turns a run
 * made with a real agent into a replay session. Every round of a real agent is
 * recorded by the orchestrator as the artifact `<run>:<step>:recording` (see
 * src/adapters/agent/recording.ts); this collects write#1, fix#1, fix#2, … in
 * order, checks the result against the session schema and writes it (stdout
 * without --out). Put it beside the job and set `agent: { adapter: "replay",
 * options: { session } }` to pin the job's behaviour offline.
 *
 * @example
 * npx nightshift run hello-kv            # with agent.adapter "openai" (or a CLI)
 * npx nightshift record <run-id> --out workflows/hello-kv/session.json
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { z } from "zod";
import { type RecordedSession, roundSchema, sessionSchema } from "../../ports/recorded-session.ts";
import { ApiFailure, type Client, connect } from "../client.ts";
import type { Command } from "../command.ts";
import { UserError } from "../errors.ts";

const artifactSchema = z.object({ ref: z.string(), kind: z.string(), body: z.string() });
const recordingSchema = z.object({ agent: z.string(), round: roundSchema });

export type FetchJson = (path: string) => Promise<{ status: number; body: unknown }>;

/** Collects a run's recorded rounds into a session; null when the run has none. */
export async function collectSession(get: FetchJson, runId: string): Promise<RecordedSession | null> {
  const steps = ["write#1", ...Array.from({ length: 100 }, (_, i) => `fix#${i + 1}`)];
  const rounds: RecordedSession["rounds"] = [];
  let agent = "";
  for (const step of steps) {
    const ref = `${runId}:${step}:recording`;
    const { status, body } = await get(
      `/api/runs/${encodeURIComponent(runId)}/artifacts/${encodeURIComponent(ref)}`,
    );
    if (status === 404) break;
    if (status !== 200)
      throw new Error(`GET artifact ${ref}: HTTP ${status} ${JSON.stringify(body).slice(0, 200)}`);
    const artifact = artifactSchema.parse(body);
    const recording = recordingSchema.parse(JSON.parse(artifact.body));
    agent = recording.agent;
    rounds.push(recording.round);
  }
  if (rounds.length === 0) return null;
  return sessionSchema.parse({ version: 1, recordedFrom: `${agent}, recorded from run ${runId}`, rounds });
}

/** `get` through the CLI's API client; an API error becomes its status and error body. */
export function clientGetter(client: Client): FetchJson {
  return async (path) => {
    try {
      return { status: 200, body: await client.request("GET", path) };
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      return { status: error.status, body: { error: { code: error.code, message: error.message } } };
    }
  };
}

export const record: Command = {
  summary: "save a run's real-agent rounds as a replay session: record <run-id> [--out file] [--url URL]",
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: "string" }, url: { type: "string" }, token: { type: "string" } },
    });
    const runId = positionals[0];
    if (!runId) throw new UserError("usage: nightshift record <run-id> [--out file] [--url URL] [--token T]");
    const client = await connect({ url: values.url, token: values.token });
    const session = await collectSession(clientGetter(client), runId);
    if (!session)
      throw new UserError(
        `run ${runId} has no recorded rounds (replayed runs and runs without D1 record none)`,
      );
    const text = `${JSON.stringify(session, null, 2)}\n`;
    if (values.out) {
      await writeFile(values.out, text);
      console.log(`recorded ${session.rounds.length} rounds of run ${runId} to ${values.out}`);
    } else process.stdout.write(text);
    return 0;
  },
};
