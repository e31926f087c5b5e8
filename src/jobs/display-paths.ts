/**
 * Paths as a person knows them. Inside a Sandbox the job's source is copied to
 * the workspace (`/workspace`) from the project's `workflows/` folder mounted at
 * `/sources/workflows`; errors, wrangler's output and setup logs name those
 * Sandbox paths, which exist on no one's machine. Every message shown (API event
 * views, step logs, the inbox, the CLI) goes through `projectRelative`. Pure.
 */
import { WORKSPACE_DIR } from "../ports/sandbox.ts";
import type { Job } from "./schema.ts";

type Source = Job["source"];

/** Where directory sources are mounted in a Sandbox (`SOURCES_DIR`, src/run/workspace.ts), the project being their root. */
const SOURCES = "/sources/";

/** A Sandbox path at a word boundary: not part of a longer path or a URL (`http://h/workspace`). */
const SANDBOX_PATH = new RegExp(String.raw`(?<![\w.:/-])(${WORKSPACE_DIR}(?![\w.-])|${SOURCES})(/?)`, "g");

/**
 * `text` with the Sandbox's paths rewritten relative to the job's project:
 * `/sources/workflows/x/y` → `workflows/x/y`; `/workspace/src/a.ts` → `<source path>/src/a.ts`
 * for a directory source, `src/a.ts` for a git source (relative to the repository).
 */
export function projectRelative(text: string, source: Source | null | undefined): string {
  const base = source?.kind === "directory" ? source.path.replace(/\/+$/, "") : "";
  return text.replace(SANDBOX_PATH, (_match, root: string, slash: string) => {
    if (root === SOURCES) return "";
    if (slash) return base ? `${base}/` : "";
    return base || ".";
  });
}

/** `projectRelative` over every string in a JSON value (event data), the shape unchanged. */
export function projectRelativeDeep<T>(value: T, source: Source | null | undefined): T {
  if (typeof value === "string") return projectRelative(value, source) as T;
  if (Array.isArray(value)) return value.map((v) => projectRelativeDeep(v, source)) as T;
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, projectRelativeDeep(v, source)]),
    ) as T;
  return value;
}
