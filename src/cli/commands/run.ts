/**
 * `nightshift run <job> [--input file.json] [--id id]`: start a run. The input
 * file is JSON (`-` reads stdin). Prints the run id; exit 4 for an unknown job,
 * 5 when the id is taken.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "../command.ts";
import { UserError } from "../errors.ts";
import { apiCommand, EXIT, positional, text } from "../output.ts";

async function readInput(file: string | undefined): Promise<unknown> {
  if (!file) return undefined;
  let source: string;
  try {
    source = file === "-" ? await readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new UserError(`cannot read --input ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new UserError(`--input ${file} is not JSON: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export const run: Command = {
  run: (input) =>
    apiCommand(input, async (io, values, positionals) => {
      const job = positional(positionals, 0, "job", "nightshift run <job> [--input file.json] [--id id]");
      const input = await readInput(text(values.input));
      const id = text(values.id);
      const body = await io.client.request<{ run: { id: string; state: string } }>(
        "POST",
        `/api/jobs/${encodeURIComponent(job)}/runs`,
        { ...(id ? { id } : {}), ...(input !== undefined ? { input } : {}) },
      );
      io.emit(body);
      io.say(body.run.id);
      return EXIT.ok;
    }),
};
