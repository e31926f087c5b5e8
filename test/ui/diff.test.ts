/** Splitting a unified diff into files: git's headers, the workspace's `diff -ruN`, plain `diff -u`. */
import { describe, expect, it } from "vitest";
import { parseUnifiedDiff } from "../../src/ui/diff.ts";

const paths = (text: string) => parseUnifiedDiff(text).map((f) => f.path);

describe("parseUnifiedDiff", () => {
  it("splits `diff -ruN` output (the workspace diff) into its files", () => {
    const text = [
      "diff -ruN --exclude=node_modules --exclude=.git a/src/a.ts b/src/a.ts",
      "--- a/src/a.ts\t2026-01-01",
      "+++ b/src/a.ts\t2026-01-01",
      "@@ -1 +1 @@",
      "-x",
      "+y",
      "diff -ruN --exclude=node_modules --exclude=.git a/new.txt b/new.txt",
      "--- a/new.txt\t1970-01-01",
      "+++ b/new.txt\t2026-01-01",
      "@@ -0,0 +1 @@",
      "+hello",
    ].join("\n");
    expect(paths(text)).toEqual(["src/a.ts", "new.txt"]);
    expect(parseUnifiedDiff(text)[1]?.lines.filter((l) => l.kind === "add")).toEqual([
      { kind: "add", text: "+hello" },
    ]);
  });

  it("splits git's output and concatenated `diff -u` output", () => {
    expect(paths("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-1\n+2\n")).toEqual(["x"]);
    expect(paths("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-1\n+2\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-1\n+2\n")).toEqual([
      "x",
      "y",
    ]);
  });

  it("keeps a deleted line that began with `-- ` inside its file", () => {
    const text = "--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n--- a comment\n+kept\n";
    expect(paths(text)).toEqual(["x"]);
    expect(parseUnifiedDiff(text)[0]?.lines.map((l) => l.kind)).toEqual([
      "meta",
      "meta",
      "hunk",
      "del",
      "add",
    ]);
  });
});
