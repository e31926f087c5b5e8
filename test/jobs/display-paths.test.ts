/** Sandbox paths in what people read become paths in the job's project (src/jobs/display-paths.ts). */
import { describe, expect, it } from "vitest";
import { projectRelative, projectRelativeDeep } from "../../src/jobs/display-paths.ts";
import { WORKSPACE_DIR } from "../../src/ports/sandbox.ts";
import { SOURCES_DIR } from "../../src/run/workspace.ts";

const directory = { kind: "directory" as const, path: "workflows/hello-kv/project" };
const git = { kind: "git" as const, url: "https://git.example/r.git", ref: "main" };

describe("projectRelative", () => {
  it("names the Sandbox's own roots", () => {
    expect([WORKSPACE_DIR, SOURCES_DIR]).toEqual(["/workspace", "/sources"]);
  });

  it("rewrites the mounted sources and the workspace of a directory source", () => {
    expect(
      projectRelative(
        '✘ [ERROR] Could not resolve "./kv"\n    /workspace/src/index.ts:3:19: and /sources/workflows/hello-kv/project/wrangler.jsonc',
        directory,
      ),
    ).toBe(
      '✘ [ERROR] Could not resolve "./kv"\n    workflows/hello-kv/project/src/index.ts:3:19: and workflows/hello-kv/project/wrangler.jsonc',
    );
    expect(projectRelative("cd /workspace && npm ci", directory)).toBe(
      "cd workflows/hello-kv/project && npm ci",
    );
  });

  it("makes workspace paths relative to the repository of a git source", () => {
    expect(projectRelative("/workspace/src/a.ts:1 in /workspace", git)).toBe("src/a.ts:1 in .");
  });

  it("leaves URLs, longer paths and look-alikes alone", () => {
    const text = "https://h.example/workspace/x /home/workspace/a /workspaces/b /sourcesx/c";
    expect(projectRelative(text, directory)).toBe(text);
  });

  it("rewrites every string of event data, keeping its shape", () => {
    expect(
      projectRelativeDeep(
        { error: { code: "x", message: "/workspace/a.ts" }, n: 2, list: ["/sources/w/b"] },
        git,
      ),
    ).toEqual({ error: { code: "x", message: "a.ts" }, n: 2, list: ["w/b"] });
  });
});
