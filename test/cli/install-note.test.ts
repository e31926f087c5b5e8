/**
 * `npm install` on an older Node than the project's (issue 18): npm warns EBADENGINE for every
 * package needing Node 22 and says nothing of the project's own Node 22; the postinstall note
 * says so, only when npm's Node is older, and says when the project's Node is missing. And the
 * note does not make `npm install` rewrite the tracked lock file: a root install script is
 * recorded there (`hasInstallScript`), so the lock file must say it already.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

function note(userAgent: string, script = join(ROOT, "bin", "install-note.mjs")) {
  const result = spawnSync(process.execPath, [script], {
    env: { ...process.env, npm_config_user_agent: userAgent },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout };
}

describe("npm install's note about Node", () => {
  it("is the project's postinstall, and the lock file records it, so install leaves the lock alone", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.postinstall).toBe("node bin/install-note.mjs");
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    expect(lock.packages[""]?.hasInstallScript).toBe(true);
  });

  it("explains EBADENGINE when npm runs on Node 20, naming the project's own Node 22", () => {
    const said = note("npm/11.6.0 node/v20.20.2 linux x64 workspaces/false");
    expect(said.status).toBe(0);
    expect(said.stdout).toContain("npm runs on Node 20.20.2, hence its EBADENGINE warnings");
    expect(said.stdout).toContain("run on the project's own Node 22");
    expect(said.stdout).toContain("Other warnings above still count.");
  });

  it("says nothing when npm runs on Node 22", () => {
    expect(note("npm/11.6.0 node/v22.23.3 linux x64 workspaces/false")).toEqual({ status: 0, stdout: "" });
  });

  it("says the project's Node is missing when it is", () => {
    const dir = mkdtempSync(join(tmpdir(), "nightshift-note-"));
    try {
      cpSync(join(ROOT, "bin", "install-note.mjs"), join(dir, "bin", "install-note.mjs"));
      const said = note("npm/11.6.0 node/v20.20.2 linux x64", join(dir, "bin", "install-note.mjs"));
      expect(said.stdout).toContain("the project's own Node 22 (devDependency `node`) is not installed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
