/**
 * What `nightshift validate` checks beyond the schema: what a run of the job
 * will need that can be checked before it starts. A directory source must
 * exist; a replay job's session must be one (the same check the replay agent
 * makes at run time); the Worker config the deploy will use (`deploy.config`,
 * in the source) must exist, parse, and name a `main` that exists. A git
 * source is fetched only by the run, so only its shape is checked.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { stripJsonComments } from "../jobs/jsonc.ts";
import type { JobProblem } from "../jobs/registry.ts";
import type { Job } from "../jobs/schema.ts";
import { sessionProblem } from "../ports/recorded-session.ts";

const REPLAY = "replay";
const WRANGLER_CONFIGS = /^wrangler\.(json|jsonc|toml)$/;

const isDirectory = (path: string) =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
const isFile = (path: string) =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/** The problems of `job` (from `file`, relative to `root`) that would make a run of it fail. */
export async function checkJobBeforeRun(root: string, file: string, job: Job): Promise<JobProblem[]> {
  const problems: JobProblem[] = [];
  if (job.agent.adapter === REPLAY) {
    const problem = sessionProblem(job.agent.options.session);
    if (problem)
      problems.push({
        file,
        path: ["agent.options.session", problem.path].filter(Boolean).join("."),
        message: `the replay agent needs a recorded session: ${problem.message}`,
      });
  }
  if (job.source.kind !== "directory") return problems;
  const sourceDir = join(root, job.source.path);
  if (!(await isDirectory(sourceDir))) {
    problems.push({
      file,
      path: "source.path",
      message: `"${job.source.path}" is not a directory in the project (paths are relative to the project root)`,
    });
    return problems;
  }
  problems.push(...(await checkWorkerConfig(sourceDir, job.source.path, file, job.deploy.config)));
  return problems;
}

/** The deploy's Worker config: there, parsing, its `main` there (wrangler's own first complaints). */
async function checkWorkerConfig(
  sourceDir: string,
  sourcePath: string,
  file: string,
  config: string,
): Promise<JobProblem[]> {
  const shown = `${sourcePath}/${config}`;
  const text = await readFile(join(sourceDir, config), "utf8").catch(() => null);
  if (text === null) {
    const found = (await readdir(sourceDir).catch(() => [] as string[])).filter((n) =>
      WRANGLER_CONFIGS.test(n),
    );
    return [
      {
        file,
        path: "deploy.config",
        message: `the Worker config ${shown} does not exist${found.length ? ` (${sourcePath} has ${found.join(", ")})` : ""}`,
      },
    ];
  }
  const parsed = parseConfig(config, text);
  if (!parsed.ok)
    return [{ file: shown, path: "", message: `does not parse: ${parsed.message}`, ...parsed.at }];
  const main = (parsed.value as { main?: unknown } | null)?.main;
  if (main === undefined) return [];
  if (typeof main !== "string")
    return [{ file: shown, path: "main", message: "must be a string: the Worker's entry file" }];
  const mainPath = join(dirname(join(sourceDir, config)), main);
  if (!(await isFile(mainPath)))
    return [
      {
        file: shown,
        path: "main",
        message: `the Worker's entry file "${main}" does not exist (relative to ${shown})`,
      },
    ];
  return [];
}

type Parsed =
  | { ok: true; value: unknown }
  | { ok: false; message: string; at?: { line: number; column: number } };

/** A wrangler config by its extension, a parse error with its line and column when the parser says. */
export function parseConfig(name: string, text: string): Parsed {
  try {
    return {
      ok: true,
      value: name.endsWith(".toml") ? parseToml(text) : JSON.parse(stripJsonComments(text)),
    };
  } catch (error) {
    const e = error as Error & { line?: number; column?: number };
    const message = e.message.split("\n")[0] ?? "";
    if (typeof e.line === "number" && typeof e.column === "number")
      return { ok: false, message, at: { line: e.line, column: e.column } };
    const position = /at position (\d+)/.exec(message)?.[1];
    if (position === undefined) return { ok: false, message };
    const before = stripJsonComments(text).slice(0, Number(position)).split("\n");
    return { ok: false, message, at: { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 } };
  }
}
