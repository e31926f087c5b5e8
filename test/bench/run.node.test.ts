/**
 * `npm run bench`'s flags (issue 18): --help answers without running a benchmark, an unknown name
 * is refused, and a section reaches docs/benchmarks.md only with --write (otherwise it is
 * printed, and stderr says it was not written). No benchmark runs here: figures belong to
 * `npm run bench`, not to tests.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writeBenchSection, writeBenchSubsection } from "../../bench/support.ts";

const ROOT = join(import.meta.dirname, "..", "..");

function bench(args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("npm run bench's command line", () => {
  it("--help says how to run one and that --write updates the docs, and runs nothing", () => {
    const help = bench(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: npm run bench -- [name…] [--write]");
    expect(help.stdout).toMatch(/agents, cli, emulator, limits, load, loop, sandbox/);
    expect(help.stderr).not.toContain("started");
  });

  it("refuses an unknown benchmark, also after --write, naming it and those there are", () => {
    const wrong = bench(["--write", "emulatr"]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('unknown benchmark "emulatr" (have: agents, cli, emulator');
    expect(wrong.stderr).not.toContain("started");
  });
});

describe("a benchmark's section", () => {
  let dir: string;
  let file: string;
  const BEFORE = "# Benchmarks\n\n## Emulator\n\nold figures\n\n## Loop\n\nloop figures\n";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "nightshift-bench-doc-"));
    file = join(dir, "benchmarks.md");
    await writeFile(file, BEFORE);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it("is printed and the file left alone without --write", async () => {
    const printed: string[] = [];
    const said: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void printed.push(line));
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => said.push(String(chunk)) > 0);
    writeBenchSection("Emulator", "## Emulator\n\nnew figures\n", { file, write: false });
    writeBenchSubsection("Reliability", "Load", "### Load\n\nload figures\n", { file, write: false });
    expect(await readFile(file, "utf8")).toBe(BEFORE);
    expect(printed).toEqual(["## Emulator\n\nnew figures", "### Load\n\nload figures"]);
    expect(said.join("")).toContain(`bench: "Emulator" not written to ${file} (pass --write to update it)`);
  });

  it("replaces its section in the file with --write, and only that one", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    writeBenchSection("Emulator", "## Emulator\n\nnew figures\n", { file, write: true });
    expect(await readFile(file, "utf8")).toBe(
      "# Benchmarks\n\n## Emulator\n\nnew figures\n\n## Loop\n\nloop figures\n",
    );
  });
});
