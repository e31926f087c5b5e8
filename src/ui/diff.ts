/** Splits a unified diff into files and classifies each line for display. Pure. */

export interface DiffFile {
  path: string;
  lines: Array<{ kind: "add" | "del" | "hunk" | "ctx" | "meta"; text: string }>;
}

export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let current: DiffFile | null = null;
  const all = text.split("\n");
  for (const [i, line] of all.entries()) {
    // `diff --git a/x b/x` (git) and `diff -ruN [options] a/x b/x` (the workspace diff) head a
    // file; so does a `--- `/`+++ ` pair after a hunk (plain `diff -u` output, concatenated) —
    // a lone `--- ` inside a hunk is a deleted line that began with `-- `.
    const header = /^diff (?:--git |-\S+ )(?:.* )?a\/(\S+) b\/(\S+)$/.exec(line);
    const nextPlain =
      line.startsWith("--- ") &&
      (all[i + 1] ?? "").startsWith("+++ ") &&
      (!current || current.lines.some((l) => l.kind === "hunk"));
    if (header || nextPlain) {
      current = { path: header ? header[2]! : line.slice(4).split("\t")[0]!.replace(/^a\//, ""), lines: [] };
      files.push(current);
      if (header) continue;
    }
    if (!current) {
      current = { path: "(diff)", lines: [] };
      files.push(current);
    }
    const inHunk = current.lines.some((l) => l.kind === "hunk");
    const plusPath = inHunk ? null : /^\+\+\+ (?:b\/)?([^\t]+)/.exec(line);
    if (plusPath) {
      if (current.path === "(diff)" || current.path === "/dev/null") current.path = plusPath[1]!;
      current.lines.push({ kind: "meta", text: line });
    } else if (line.startsWith("@@")) current.lines.push({ kind: "hunk", text: line });
    // Before the first hunk every line is a header; inside hunks a `--- ` line is a deletion.
    else if (!inHunk) current.lines.push({ kind: "meta", text: line });
    else if (line.startsWith("+")) current.lines.push({ kind: "add", text: line });
    else if (line.startsWith("-")) current.lines.push({ kind: "del", text: line });
    else if (line !== "" || i < all.length - 1) current.lines.push({ kind: "ctx", text: line });
  }
  return files.filter((f) => f.lines.some((l) => l.text !== ""));
}
