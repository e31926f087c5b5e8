/**
 * The job files in a folder, each compiled on its own before anything imports
 * them: a job file with a syntax error or a missing import is reported with its
 * line and column and left out of the generated manifest, so the Worker bundle
 * (which imports every job through `workflows/index.ts`) still builds and the
 * other jobs keep running.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { isJobFileName, type ManifestEntry } from "../jobs/manifest.ts";
import type { SourceProblem } from "../jobs/registry.ts";

/** The first error esbuild finds bundling `path` alone (its imports resolved, packages left out), or null. */
export async function compileProblem(path: string): Promise<SourceProblem | null> {
  try {
    await build({
      entryPoints: [path],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      packages: "external",
      external: ["cloudflare:*", "node:*"],
      logLevel: "silent",
    });
    return null;
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { line: number; column: number } }[] })
      .errors?.[0];
    if (!first) return { line: 1, column: 1, message: (error as Error).message.split("\n")[0] ?? "" };
    // esbuild's columns count from 0; editors and `file:line:column` count from 1.
    return {
      line: first.location?.line ?? 1,
      column: (first.location?.column ?? 0) + 1,
      message: first.text,
    };
  }
}

/** Every job file in `dir`, sorted, each with its compile problem (null when it compiles). */
export async function readJobFiles(dir: string): Promise<ManifestEntry[]> {
  const names = (await readdir(dir)).filter(isJobFileName).sort();
  return Promise.all(names.map(async (name) => ({ name, broken: await compileProblem(join(dir, name)) })));
}
