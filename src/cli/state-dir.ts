/**
 * What `nightshift start` remembers in its state directory about itself: which process runs a
 * stack on it now (`stack.json`, so `reset` and a second `start` refuse while it runs), and
 * whether the example run was started there already (`example.json`, so each start does not
 * add another run and another temporary account).
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface StackMark {
  pid: number;
  port: number;
}

export interface ExampleMark {
  runId: string;
  startedAt: string;
}

async function readJson<T>(file: string): Promise<T | null> {
  const text = await readFile(file, "utf8").catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const stackFile = (stateDir: string) => join(stateDir, "stack.json");
const exampleFile = (stateDir: string) => join(stateDir, "example.json");

/** The live stack using `stateDir`, or null (none, or the one recorded was killed). */
export async function runningStack(stateDir: string): Promise<StackMark | null> {
  const mark = await readJson<StackMark>(stackFile(stateDir));
  if (!mark || !Number.isInteger(mark.pid) || mark.pid === process.pid) return null;
  return alive(mark.pid) ? mark : null;
}

/** Records this process as the stack using `stateDir`; the function returned forgets it. */
export async function markStack(stateDir: string, port: number): Promise<() => Promise<void>> {
  const mark: StackMark = { pid: process.pid, port };
  await writeFile(stackFile(stateDir), `${JSON.stringify(mark)}\n`);
  return () => rm(stackFile(stateDir), { force: true });
}

export function exampleStarted(stateDir: string): Promise<ExampleMark | null> {
  return readJson<ExampleMark>(exampleFile(stateDir));
}

export async function markExample(stateDir: string, runId: string, now = new Date()): Promise<void> {
  const mark: ExampleMark = { runId, startedAt: now.toISOString() };
  await writeFile(exampleFile(stateDir), `${JSON.stringify(mark)}\n`);
}

/** Files `reset` keeps: the API token, so commands and scripts that read it keep working. */
export const KEPT_BY_RESET = ["token"] as const;
