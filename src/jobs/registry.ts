/**
 * The registry of jobs: every job file parsed once, problems kept with their
 * file and zod path. Pure: the files' contents come in as values (the Worker
 * gets them from the generated `workflows/index.ts`, the CLI imports them).
 */
import type { z } from "zod";
import { type Job, jobSchema } from "./schema.ts";

/** Where and why a job file does not compile (lines and columns count from 1). */
export interface SourceProblem {
  line: number;
  column: number;
  message: string;
}

/** A job file as the manifest imports it: its default export, or why it could not be compiled. */
export type JobFile =
  | {
      /** Path relative to the project root, e.g. `workflows/hello-kv.ts`. */
      file: string;
      definition: unknown;
    }
  | { file: string; broken: SourceProblem };

export interface JobProblem {
  file: string;
  /** Dotted zod path inside the job, e.g. `verify.probes.0.expect.status`; empty for the whole file. */
  path: string;
  message: string;
  /** Set when the file itself does not compile. */
  line?: number;
  column?: number;
}

export interface JobRegistry {
  jobs: ReadonlyMap<string, Job>;
  /** Which file each job came from. */
  files: ReadonlyMap<string, string>;
  problems: readonly JobProblem[];
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join(".");
}

export function problemsFromZod(file: string, error: z.ZodError): JobProblem[] {
  return error.issues.map((issue) => ({ file, path: formatPath(issue.path), message: issue.message }));
}

/**
 * Formats a problem as one line: `workflows/x.ts: verify.probes.0.path: Invalid input`, or
 * `workflows/x.ts:3:5: does not compile: …` for a file that does not compile.
 */
export function formatProblem(problem: JobProblem): string {
  if (problem.line !== undefined)
    return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
  return `${problem.file}: ${problem.path || "(job)"}: ${problem.message}`;
}

export function brokenFileProblem(file: string, broken: SourceProblem): JobProblem {
  return {
    file,
    path: "",
    line: broken.line,
    column: broken.column,
    message: `does not compile: ${broken.message}`,
  };
}

export function parseJobFile(entry: JobFile): { ok: true; job: Job } | { ok: false; problems: JobProblem[] } {
  if ("broken" in entry) return { ok: false, problems: [brokenFileProblem(entry.file, entry.broken)] };
  const result = jobSchema.safeParse(entry.definition);
  if (!result.success) return { ok: false, problems: problemsFromZod(entry.file, result.error) };
  const expected = entry.file.replace(/^.*\//, "").replace(/\.[jt]s$/, "");
  if (result.data.name !== expected) {
    return {
      ok: false,
      problems: [
        {
          file: entry.file,
          path: "name",
          message: `job "${result.data.name}" must live in ${expected === result.data.name ? entry.file : `workflows/${result.data.name}.ts`}`,
        },
      ],
    };
  }
  return { ok: true, job: result.data };
}

export function buildRegistry(entries: readonly JobFile[]): JobRegistry {
  const jobs = new Map<string, Job>();
  const files = new Map<string, string>();
  const problems: JobProblem[] = [];
  for (const entry of entries) {
    const parsed = parseJobFile(entry);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    const other = files.get(parsed.job.name);
    if (other) {
      problems.push({ file: entry.file, path: "name", message: `duplicate job name, also in ${other}` });
      continue;
    }
    jobs.set(parsed.job.name, parsed.job);
    files.set(parsed.job.name, entry.file);
  }
  return { jobs, files, problems };
}
