/**
 * A unified diff as the CLI prints it: the file list with lines added and removed (`--stat`),
 * and colour for a terminal. Both read the diff the same way: hunk headers' line counts say
 * where a hunk ends, so a removed line that reads "--- x" is not taken for a file header. Pure.
 */

export interface FileStat {
  path: string;
  added: number;
  removed: number;
}

type Kind = "file" | "header" | "hunk" | "add" | "remove" | "context";

/** Each line with what it is; a "file" line (`diff --git`, or a bare `---`) begins a file. */
function classify(diff: string): { line: string; kind: Kind }[] {
  const out: { line: string; kind: Kind }[] = [];
  let opened = false; // a `diff --git` line began this file, so its `---` does not begin another
  let oldLeft = 0;
  let newLeft = 0;
  for (const line of diff.split("\n")) {
    if (oldLeft > 0 || newLeft > 0) {
      const kind: Kind = line.startsWith("+") ? "add" : line.startsWith("-") ? "remove" : "context";
      if (kind !== "add" && !line.startsWith("\\")) oldLeft -= 1;
      if (kind !== "remove" && !line.startsWith("\\")) newLeft -= 1;
      out.push({ line, kind });
      continue;
    }
    const hunk = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
    if (line.startsWith("diff --git ")) {
      opened = true;
      out.push({ line, kind: "file" });
    } else if (line.startsWith("--- ")) {
      out.push({ line, kind: opened ? "header" : "file" });
      opened = false;
    } else if (hunk) {
      oldLeft = Number(hunk[1] ?? 1);
      newLeft = Number(hunk[2] ?? 1);
      out.push({ line, kind: "hunk" });
    } else out.push({ line, kind: line === "" ? "context" : "header" });
  }
  return out;
}

const pathOf = (header: string, prefix: "a/" | "b/") => {
  const path = header.slice(4).replace(/\t.*$/, "");
  return path === "/dev/null" ? "" : path.replace(prefix === "a/" ? /^a\// : /^b\//, "");
};

/** Each file the diff touches, in order, with its counts. */
export function diffStat(diff: string): FileStat[] {
  const files: FileStat[] = [];
  let current: FileStat | null = null;
  for (const { line, kind } of classify(diff)) {
    if (kind === "file") {
      current = { path: /^diff --git a\/.+ b\/(.+)$/.exec(line)?.[1] ?? "", added: 0, removed: 0 };
      files.push(current);
    }
    if (!current) continue;
    if (line.startsWith("--- ") && (kind === "file" || kind === "header") && !current.path)
      current.path = pathOf(line, "a/");
    else if (line.startsWith("+++ ") && kind === "header") current.path = pathOf(line, "b/") || current.path;
    else if (kind === "add") current.added += 1;
    else if (kind === "remove") current.removed += 1;
  }
  return files;
}

/** " src/a.ts |    3 +2 -1" per file, then "2 files changed, 5 insertions(+), 1 deletion(-)". */
export function formatStat(files: readonly FileStat[]): string {
  const width = Math.max(0, ...files.map((f) => f.path.length));
  const lines = files.map(
    (f) => ` ${f.path.padEnd(width)} | ${String(f.added + f.removed).padStart(4)} +${f.added} -${f.removed}`,
  );
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const added = files.reduce((n, f) => n + f.added, 0);
  const removed = files.reduce((n, f) => n + f.removed, 0);
  lines.push(
    ` ${plural(files.length, "file", "files")} changed, ${plural(added, "insertion(+)", "insertions(+)")}, ${plural(removed, "deletion(-)", "deletions(-)")}`,
  );
  return lines.join("\n");
}

const PAINT: Record<Kind, string> = {
  file: "\x1b[1m",
  header: "\x1b[1m",
  hunk: "\x1b[36m",
  add: "\x1b[32m",
  remove: "\x1b[31m",
  context: "",
};

/** The diff with git's colours: headers bold, hunks cyan, additions green, removals red. */
export function colourDiff(diff: string): string {
  return classify(diff)
    .map(({ line, kind }) => (PAINT[kind] && line ? `${PAINT[kind]}${line}\x1b[0m` : line))
    .join("\n");
}
