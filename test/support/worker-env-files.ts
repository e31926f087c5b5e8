/**
 * Which Workers-pool test files reach the Worker's environment (D1 and the rest, through
 * `cloudflare:test` or `cloudflare:workers`, directly or through a test helper they import),
 * read from their imports when vitest.config.ts loads. Only those need the D1 migrations
 * applied before them; that setup costs seconds a file, and a pure test (the machine, a
 * parser, a check) has no use for it. Node only.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const IMPORT = /(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+|cloudflare:[^"]+)"/g;

/** Whether `file`, or a file under `testDir` it imports (transitively), imports a `cloudflare:` module. */
export function reachesWorkerEnv(file: string, testDir: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  for (const [, target] of readFileSync(file, "utf8").matchAll(IMPORT)) {
    if (target!.startsWith("cloudflare:")) return true;
    const path = resolve(dirname(file), target!);
    if (path.startsWith(testDir) && existsSync(path) && reachesWorkerEnv(path, testDir, seen)) return true;
  }
  return false;
}

/**
 * The `*.test.ts` files under `test/<dir>/` for each of `dirs` (paths relative to `root`), but
 * those `exclude` matches, split by whether they reach the Worker's environment.
 */
export function splitByWorkerEnv(
  root: string,
  dirs: readonly string[],
  exclude: RegExp,
): { env: string[]; pure: string[] } {
  const testDir = join(root, "test");
  const files = dirs
    .flatMap((dir) =>
      (readdirSync(join(testDir, dir), { recursive: true }) as string[]).map((f) => `test/${dir}/${f}`),
    )
    .filter((f) => f.endsWith(".test.ts") && !exclude.test(f))
    .sort();
  const env = files.filter((f) => reachesWorkerEnv(join(root, f), testDir));
  return { env, pure: files.filter((f) => !env.includes(f)) };
}
