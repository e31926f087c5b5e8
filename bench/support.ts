/**
 * What the benchmarks share: the median, an API caller for a local stack, the
 * collector of the orchestrator's `nightshift timing` lines (see `timed` in
 * src/run/work.ts), and the writer of their sections of docs/benchmarks.md.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const BENCHMARKS_MD = join(import.meta.dirname, "..", "docs", "benchmarks.md");

/**
 * Whether this bench may rewrite docs/benchmarks.md: only when asked (`--write`), since the
 * figures are this machine's and the file is tracked. Otherwise the section is printed.
 */
export const WRITE_DOCS = process.argv.includes("--write");

export interface DocTarget {
  /** The file to write (default docs/benchmarks.md). */
  file?: string;
  /** Write it (default: `--write` was given); otherwise the section goes to stdout. */
  write?: boolean;
}

/** A progress line on stderr, so stdout keeps the figures. */
export function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** The median; the mean of the two middle values for an even count. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Calls the stack's API with the bench's token: GET without a body, POST with one; throws on an error status. */
export function stackCaller(url: string, token: string) {
  return async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<T>;
  };
}

/**
 * Collects `nightshift timing <run> <step> <what> <ms>` lines from the orchestrator's output:
 * pass `onLine` to the stack, read with `get(run, step, what)`.
 */
export function timingLines() {
  const timings = new Map<string, number>();
  return {
    onLine(line: string): void {
      const m = /nightshift timing (\S+) (\S+) (\S+) (\d+)/.exec(line);
      if (m) timings.set(`${m[1]} ${m[2]} ${m[3]}`, Number(m[4]));
    },
    get(runId: string, step: string, what: string): number | undefined {
      return timings.get(`${runId} ${step} ${what}`);
    },
  };
}

/**
 * Puts `section` (which starts with `## <heading>`) into docs/benchmarks.md: in place of the
 * section of that heading, or at the end when there is none yet.
 */
export function writeBenchSection(heading: string, section: string, target: DocTarget = {}): void {
  const file = target.file ?? BENCHMARKS_MD;
  console.log(section.trimEnd());
  if (!(target.write ?? WRITE_DOCS)) {
    progress(
      `"${heading}" not written to ${file.endsWith("docs/benchmarks.md") ? "docs/benchmarks.md" : file} (pass --write to update it)`,
    );
    return;
  }
  const existing = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const title = heading.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`## ${title}\\n[\\s\\S]*?(?=\\n## |$)`);
  const next = pattern.test(existing)
    ? existing.replace(pattern, section)
    : `${existing.trimEnd()}\n\n${section}`;
  writeFileSync(file, next);
  progress(`wrote "${heading}" in ${file.endsWith("docs/benchmarks.md") ? "docs/benchmarks.md" : file}`);
}

/**
 * Puts `section` (which starts with `### <sub>`) under `## <heading>` in docs/benchmarks.md: in
 * place of that subsection, or at the end of the heading's section (made when there is none).
 */
export function writeBenchSubsection(
  heading: string,
  sub: string,
  section: string,
  target: DocTarget = {},
): void {
  const file = target.file ?? BENCHMARKS_MD;
  if (!(target.write ?? WRITE_DOCS)) {
    writeBenchSection(`${heading} / ${sub}`, section, target);
    return;
  }
  const existing = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const whole = new RegExp(`## ${literal(heading)}\\n[\\s\\S]*?(?=\\n## |$)`);
  const current = whole.exec(existing)?.[0] ?? `## ${heading}\n`;
  const part = new RegExp(`### ${literal(sub)}\\n[\\s\\S]*?(?=\\n### |$)`);
  const next = part.test(current)
    ? current.replace(part, section.trimEnd())
    : `${current.trimEnd()}\n\n${section.trimEnd()}`;
  writeBenchSection(heading, `${next}\n`, { ...target, write: true });
}
