/**
 * What `nightshift validate` checks beyond the schema: what a run of the job
 * will need that can be checked before it starts. A directory source must
 * exist; a replay job's session must be one (the same check the replay agent
 * makes at run time); the Worker config the deploy will use (`deploy.config`,
 * in the source) must exist, parse, name a `main` that exists, ask only for
 * what a temporary account has (worker-config-support.ts: bindings, limits,
 * the assets directory's files) and not pin a wrangler older than 4. A git
 * source is fetched only by the run, so only its shape is checked.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { JobProblem } from "../jobs/registry.ts";
import type { Job } from "../jobs/schema.ts";
import { parseConfig } from "../jobs/worker-config.ts";
import {
  type AssetFile,
  assetsDirectory,
  assetsProblems,
  configSupportProblems,
  splitConfigProblem,
  summariseAssets,
} from "../jobs/worker-config-support.ts";
import { chooseWrangler } from "../jobs/wrangler-choice.ts";
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
  const configDir = dirname(join(sourceDir, config));
  return [
    ...(await checkMain(parsed.value, configDir, shown)),
    ...(await checkSupport(parsed.value, configDir, shown)),
    ...(await checkOwnWrangler(configDir, shown)),
  ];
}

async function checkMain(config: unknown, configDir: string, shown: string): Promise<JobProblem[]> {
  const main = (config as { main?: unknown } | null)?.main;
  if (main === undefined) return [];
  if (typeof main !== "string")
    return [{ file: shown, path: "main", message: "must be a string: the Worker's entry file" }];
  if (!(await isFile(join(configDir, main))))
    return [
      {
        file: shown,
        path: "main",
        message: `the Worker's entry file "${main}" does not exist (relative to ${shown})`,
      },
    ];
  return [];
}

/** What a temporary account cannot deploy: the config's fields, and its assets directory's files. */
async function checkSupport(config: unknown, configDir: string, shown: string): Promise<JobProblem[]> {
  const problems = configSupportProblems(config);
  const assets = assetsDirectory(config);
  if (assets !== null) {
    const files = await listFiles(join(configDir, assets));
    if (files) problems.push(...assetsProblems(assets, summariseAssets(files)));
  }
  return problems.map((problem) => ({ file: shown, ...splitConfigProblem(problem) }));
}

/**
 * The files wrangler would upload from `dir` with their sizes (paths relative to it), or null
 * when it is no directory or has an `.assetsignore`: its gitignore patterns are wrangler's to
 * apply, and counting files it leaves out would refuse a config that deploys.
 */
async function listFiles(dir: string): Promise<AssetFile[] | null> {
  if (await isFile(join(dir, ".assetsignore"))) return null;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => null);
  if (!entries) return null;
  const files: AssetFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push({ path: relative(dir, path), bytes: (await stat(path)).size });
  }
  return files;
}

/** A wrangler the project pins that cannot deploy `--temporary` (the deploy would refuse it too). */
async function checkOwnWrangler(configDir: string, shown: string): Promise<JobProblem[]> {
  const ownPackage = await readFile(join(configDir, "node_modules/wrangler/package.json"), "utf8").catch(
    () => null,
  );
  const choice = chooseWrangler({ projectDir: configDir, ownPackage, fallback: [] });
  const file = join(dirname(shown), "node_modules/wrangler/package.json");
  return choice.ok ? [] : [{ file, path: "version", message: choice.message }];
}
