/**
 * `nightshift validate [--root dir] [--dir workflows] [--wrangler file|none] [--json]`: loads
 * every job file, prints each problem with its file and zod path, checks what each job's runs
 * will need (`checkJobBeforeRun`: its source, replay session, Worker config), that the generated
 * manifest is current and that wrangler.jsonc carries every cron the jobs declare. Exit 1 on
 * any problem. `--json`: `{ valid, jobs, problems }` on stdout, whatever the outcome.
 */
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { parseJsonc } from "../../jobs/jsonc.ts";
import { MANIFEST_FILE, renderManifest } from "../../jobs/manifest.ts";
import {
  brokenFileProblem,
  buildRegistry,
  formatProblem,
  type JobFile,
  type JobProblem,
} from "../../jobs/registry.ts";
import type { Command } from "../command.ts";
import { checkJobBeforeRun } from "../job-checks.ts";
import { readJobFiles } from "../job-files.ts";
import { text } from "../output.ts";
import { projectRoot } from "../project.ts";

export interface ValidateOptions {
  root: string;
  /** Folder of job files, relative to root. */
  dir: string;
  /** wrangler config to check crons against, relative to root; null to skip. */
  wranglerConfig: string | null;
}

export async function validateProject(
  options: ValidateOptions,
): Promise<{ problems: JobProblem[]; jobs: string[] }> {
  const dir = join(options.root, options.dir);
  const entries = await readJobFiles(dir);
  const files: JobFile[] = [];
  const problems: JobProblem[] = [];
  for (const { name, broken } of entries) {
    const file = relative(options.root, join(dir, name));
    if (broken) {
      problems.push(brokenFileProblem(file, broken));
      continue;
    }
    try {
      const mod = (await import(pathToFileURL(join(dir, name)).href)) as { default?: unknown };
      if (mod.default === undefined)
        problems.push({ file, path: "", message: "has no default export (export default { … })" });
      else files.push({ file, definition: mod.default });
    } catch (error) {
      problems.push({
        file,
        path: "",
        message: `cannot be loaded: ${(error as Error).message.split("\n")[0]}`,
      });
    }
  }
  const registry = buildRegistry(files);
  problems.push(...registry.problems);
  for (const job of registry.jobs.values())
    problems.push(
      ...(await checkJobBeforeRun(options.root, registry.files.get(job.name) ?? options.dir, job)),
    );

  const manifestPath = join(dir, MANIFEST_FILE);
  const expected = renderManifest(entries, options.dir);
  const actual = await readFile(manifestPath, "utf8").catch(() => null);
  if (actual !== expected) {
    problems.push({
      file: relative(options.root, manifestPath),
      path: "",
      message: "is out of date with the job files (run: npx nightshift generate)",
    });
  }

  if (options.wranglerConfig) {
    const config = parseJsonc(await readFile(join(options.root, options.wranglerConfig), "utf8")) as {
      triggers?: { crons?: string[] };
    };
    const crons = new Set(config.triggers?.crons ?? []);
    for (const job of registry.jobs.values()) {
      for (const [i, trigger] of job.triggers.entries()) {
        if (trigger.kind === "schedule" && !crons.has(trigger.cron)) {
          problems.push({
            file: registry.files.get(job.name) ?? options.dir,
            path: `triggers.${i}.cron`,
            message: `cron "${trigger.cron}" of job ${job.name} is missing from ${options.wranglerConfig} triggers.crons`,
          });
        }
      }
    }
  }
  return { problems, jobs: [...registry.jobs.keys()] };
}

export const validate: Command = {
  async run({ values }) {
    const root = text(values.root) ?? projectRoot();
    const dir = text(values.dir) ?? "workflows";
    const config = text(values.wrangler) ?? "wrangler.jsonc";
    const { problems, jobs } = await validateProject({
      root,
      dir,
      wranglerConfig: config === "none" ? null : config,
    });
    if (values.json) {
      console.log(JSON.stringify({ valid: problems.length === 0, jobs, problems }));
      return problems.length ? 1 : 0;
    }
    for (const problem of problems) console.error(formatProblem(problem));
    if (problems.length) {
      console.error(`${problems.length} problem${problems.length === 1 ? "" : "s"} in ${dir}/`);
      return 1;
    }
    console.log(`${jobs.length} job${jobs.length === 1 ? "" : "s"} valid: ${jobs.join(", ")}`);
    return 0;
  },
};
