/**
 * What an agent changed, seen from the Sandbox: a baseline copy of the
 * workspace (without node_modules and .git) taken before the agent runs, then
 * the files added, modified and deleted since, and a unified diff. Works the
 * same for every adapter (the CLIs edit files themselves, so their own event
 * streams are not the truth) and on both Sandbox adapters: it only uses
 * `exec` with tar, find and diff, which the local host and the container have.
 */
import { type Sandbox, WORKSPACE_DIR } from "../../ports/sandbox.ts";

export interface WorkspaceChange {
  path: string;
  kind: "added" | "modified" | "deleted";
}

const EXCLUDED = ["node_modules", ".git"];

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The baseline directory for `tag`, under the Sandbox's /tmp (which lasts as long as the Sandbox). */
export function baselineDir(tag: string): string {
  return `/tmp/nightshift-baseline/${tag.replace(/[^A-Za-z0-9._-]/g, "_")}`;
}

/** The baseline directory for `tag` when one was captured in this Sandbox, else null. */
export async function existingBaseline(sandbox: Sandbox, tag: string): Promise<string | null> {
  const dir = baselineDir(tag);
  return (await sandbox.exec(["test", "-d", dir])).exitCode === 0 ? dir : null;
}

/** Copies the workspace to a baseline directory under /tmp; returns its path. */
export async function captureBaseline(sandbox: Sandbox, tag: string): Promise<string> {
  const dir = baselineDir(tag);
  const excludes = EXCLUDED.map((e) => `--exclude=./${e}`).join(" ");
  const script = `rm -rf ${quote(dir)} && mkdir -p ${quote(dir)} && cd ${WORKSPACE_DIR} && tar ${excludes} -cf - . | tar -xf - -C ${quote(dir)}`;
  const result = await sandbox.exec(["sh", "-c", script], { timeoutMs: 120_000 });
  if (result.exitCode !== 0)
    throw new Error(`could not copy the workspace for a baseline: ${result.stderr.slice(0, 500)}`);
  return dir;
}

const findFiles = (root: string) =>
  `cd ${quote(root)} && find . \\( ${EXCLUDED.map((e) => `-name ${e}`).join(" -o ")} \\) -prune -o \\( -type f -o -type l \\) -print | sort`;

/** Pure: the changes, from both file lists and the paths `diff -rqN` reported. */
export function changesFrom(
  before: string,
  after: string,
  differing: string,
  baseline: string,
): WorkspaceChange[] {
  const list = (text: string) =>
    new Set(
      text
        .split("\n")
        .filter(Boolean)
        .map((p) => p.replace(/^\.\//, "")),
    );
  const a = list(before);
  const b = list(after);
  const modified = new Set<string>();
  const prefix = `Files ${baseline}/`;
  for (const line of differing.split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const rest = line.slice(prefix.length);
    const cut = rest.indexOf(` and ${WORKSPACE_DIR}/`);
    if (cut !== -1) modified.add(rest.slice(0, cut));
  }
  const changes: WorkspaceChange[] = [];
  for (const p of b) if (!a.has(p)) changes.push({ path: p, kind: "added" });
  for (const p of a) if (!b.has(p)) changes.push({ path: p, kind: "deleted" });
  for (const p of modified) if (a.has(p) && b.has(p)) changes.push({ path: p, kind: "modified" });
  return changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** The changes since the baseline, and the unified diff (paths as a/… and b/…). */
export async function diffWorkspace(
  sandbox: Sandbox,
  baseline: string,
): Promise<{ changes: WorkspaceChange[]; diff: string }> {
  const excludes = EXCLUDED.map((e) => `--exclude=${e}`);
  const [before, after, differing, unified] = await Promise.all([
    sandbox.exec(["sh", "-c", findFiles(baseline)]),
    sandbox.exec(["sh", "-c", findFiles(WORKSPACE_DIR)]),
    sandbox.exec(["diff", "-rqN", ...excludes, baseline, WORKSPACE_DIR]),
    sandbox.exec(["diff", "-ruN", ...excludes, baseline, WORKSPACE_DIR], { maxOutputBytes: 8 << 20 }),
  ]);
  const diff = unified.stdout.split(`${baseline}/`).join("a/").split(`${WORKSPACE_DIR}/`).join("b/");
  return { changes: changesFrom(before.stdout, after.stdout, differing.stdout, baseline), diff };
}
