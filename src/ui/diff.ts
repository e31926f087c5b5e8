/** Splits a unified diff into files and classifies each line for display. Pure. */

export interface DiffFile {
  path: string;
  lines: Array<{ kind: "add" | "del" | "hunk" | "ctx" | "meta"; text: string }>;
}

export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let current: DiffFile | null = null;
  for (const line of text.split("\n")) {
    const header = /^diff --git a\/(\S+) b\/(\S+)/.exec(line);
    if (header || (!current && line.startsWith("--- "))) {
      current = { path: header ? header[2]! : line.slice(4).replace(/^a\//, ""), lines: [] };
      files.push(current);
      if (header) continue;
    }
    if (!current) {
      current = { path: "(diff)", lines: [] };
      files.push(current);
    }
    const plusPath = /^\+\+\+ (?:b\/)?(.+)$/.exec(line);
    if (plusPath) {
      if (current.path === "(diff)" || current.path === "/dev/null") current.path = plusPath[1]!;
      current.lines.push({ kind: "meta", text: line });
    } else if (line.startsWith("--- ") || /^(index|new file|deleted file|similarity|rename)/.test(line))
      current.lines.push({ kind: "meta", text: line });
    else if (line.startsWith("@@")) current.lines.push({ kind: "hunk", text: line });
    else if (line.startsWith("+")) current.lines.push({ kind: "add", text: line });
    else if (line.startsWith("-")) current.lines.push({ kind: "del", text: line });
    else current.lines.push({ kind: "ctx", text: line });
  }
  return files.filter((f) => f.lines.some((l) => l.kind !== "ctx" || l.text !== ""));
}
