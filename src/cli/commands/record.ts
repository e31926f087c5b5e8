/**
 * `nightshift record <run> [--out file] [--json]`: turns a run
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
import { z } from "zod";
import { type RecordedSession, roundSchema, sessionSchema } from "../../ports/recorded-session.ts";
import { ApiFailure, type Client } from "../client.ts";
import type { Command } from "../command.ts";
import { UserError } from "../errors.ts";
import { apiCommand, EXIT, positional, text } from "../output.ts";

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

/** `get` through the CLI's API client; a 404 becomes its status and error body. */
export function clientGetter(client: Client): FetchJson {
  return async (path) => {
    try {
      return { status: 200, body: await client.request("GET", path) };
    } catch (error) {
      // Only "no such artifact" ends the rounds; any other failure (unreachable, not allowed) ends
      // the command with its own exit code.
      if (!(error instanceof ApiFailure) || error.status !== 404) throw error;
      return { status: error.status, body: { error: { code: error.code, message: error.message } } };
    }
  };
}

export const record: Command = {
  run: (input) =>
    apiCommand(input, async (io, values, positionals) => {
      const runId = positional(positionals, 0, "run", "nightshift record <run> [--out file]");
      const session = await collectSession(clientGetter(io.client), runId);
      if (!session)
        throw new UserError(
          `run ${runId} has no recorded rounds (replayed runs and runs without D1 record none)`,
        );
      const out = text(values.out);
      if (out) {
        await writeFile(out, `${JSON.stringify(session, null, 2)}\n`);
        io.emit({ runId, rounds: session.rounds.length, out });
        io.say(`recorded ${session.rounds.length} rounds of run ${runId} to ${out}`);
      } else if (io.json) io.emit(session);
      else process.stdout.write(`${JSON.stringify(session, null, 2)}\n`);
      return EXIT.ok;
    }),
};
