/**
 * `nightshift validate` on a folder of job files: every problem is printed as
 * `file: path: message`, a stale manifest and a cron missing from
 * wrangler.jsonc are caught, and the exit code says whether all is well.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderManifest } from "../../src/jobs/manifest.ts";
import { validateProject } from "../../src/cli/commands/validate.ts";
import { refreshManifest } from "../../src/cli/commands/generate.ts";
import { readJobFiles } from "../../src/cli/job-files.ts";
import { build } from "esbuild";
import { buildRegistry, type JobFile } from "../../src/jobs/registry.ts";

const ROOT = join(import.meta.dirname, "..", "..");
let dir: string;

const goodJob = (name: string, extra = "") => `export default {
  name: "${name}",
  source: { kind: "git", url: "https://git.example/r.git" },
  agent: { adapter: "replay", instructions: "go" },
  deploy: { workerName: "${name}" },
  verify: { probes: [{ path: "/" }] },${extra}
};
`;

async function project(files: Record<string, string>, crons: string[] = []) {
  await mkdir(join(dir, "workflows"), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, "workflows", name), text);
  await writeFile(
    join(dir, "workflows", "index.ts"),
    renderManifest(await readJobFiles(join(dir, "workflows"))),
  );
  await writeFile(
    join(dir, "wrangler.jsonc"),
    `{ // config\n "triggers": { "crons": ${JSON.stringify(crons)} } }`,
  );
}

function cli(...args: string[]) {
  return spawnSync(
    process.execPath,
    [
      join(ROOT, "node_modules/tsx/dist/cli.mjs"),
      join(ROOT, "src/cli/main.ts"),
      "validate",
      "--root",
      dir,
      ...args,
    ],
    {
      encoding: "utf8",
    },
  );
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "nightshift-validate-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe("nightshift validate", () => {
  it("passes a good project and names its jobs", async () => {
    await project(
      { "alpha.ts": goodJob("alpha", '\n  triggers: [{ kind: "schedule", cron: "0 2 * * *" }],') },
      ["0 2 * * *"],
    );
    const result = cli();
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("1 job valid: alpha");
    expect(result.status).toBe(0);
  });

  it("prints each problem with its file and zod path and exits 1", async () => {
    await project({
      "alpha.ts": goodJob(
        "alpha",
        '\n  budgets: { maxIterations: 0 },\n  verify: { probes: [{ path: "nope" }] },',
      ),
      "beta.ts": "export default { name: 'beta' , oops: true };\n",
    });
    const result = cli();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("workflows/alpha.ts: budgets.maxIterations:");
    expect(result.stderr).toContain("workflows/alpha.ts: verify.probes.0.path:");
    expect(result.stderr).toMatch(/workflows\/beta\.ts: source: /);
    expect(result.stderr).toMatch(/workflows\/beta\.ts: \(job\): .*oops/);
  });

  it("catches a stale manifest and a cron missing from wrangler.jsonc", async () => {
    await project({
      "alpha.ts": goodJob("alpha", '\n  triggers: [{ kind: "schedule", cron: "*/5 * * * *" }],'),
    });
    await writeFile(join(dir, "workflows", "gamma.ts"), goodJob("gamma"));
    const { problems } = await validateProject({
      root: dir,
      dir: "workflows",
      wranglerConfig: "wrangler.jsonc",
    });
    const lines = problems.map((p) => `${p.file}: ${p.path}: ${p.message}`);
    expect(lines).toContainEqual(expect.stringMatching(/^workflows\/index\.ts: : is out of date/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^workflows\/alpha\.ts: triggers\.0\.cron: cron "\*\/5 \* \* \* \*" of job alpha is missing/,
      ),
    );
  });

  it("names the line and column of a job file that does not compile, and still checks the others", async () => {
    await project({
      "alpha.ts": 'export default {\n  name: "alpha",\n  {\n};\n',
      "beta.ts": goodJob("beta", "\n  budgets: { maxIterations: 0 },"),
    });
    const result = cli("--wrangler", "none");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'workflows/alpha.ts:3:3: does not compile: Expected identifier but found "{"',
    );
    expect(result.stderr).toContain("workflows/beta.ts: budgets.maxIterations:");
    expect(result.stderr).not.toContain("index.ts");
  });

  it("names a job file whose import does not resolve", async () => {
    await project({ "alpha.ts": 'import session from "./alpha/missing.json";\nexport default session;\n' });
    const result = cli("--wrangler", "none");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'workflows/alpha.ts:1:21: does not compile: Could not resolve "./alpha/missing.json"',
    );
  });

  it("leaves a broken job out of the manifest, so the bundle of the others still builds", async () => {
    await project({ "alpha.ts": goodJob("alpha"), "beta.ts": "export default {{ broken" });
    // The manifest `project` wrote already reflects beta's state; a fresh refresh changes nothing.
    const refreshed = await refreshManifest(dir);
    expect(refreshed.written).toBe(false);
    expect(refreshed.broken).toEqual([
      'workflows/beta.ts:1:17: does not compile: Expected identifier but found "{"',
    ]);
    expect(refreshed.text).not.toContain("./beta.ts");
    // Bundled as the Worker bundles it (wrangler uses esbuild), then loaded: alpha is a job, beta a problem.
    const out = join(dir, "manifest.mjs");
    await build({
      entryPoints: [refreshed.file],
      bundle: true,
      format: "esm",
      outfile: out,
      logLevel: "silent",
    });
    const { jobFiles } = (await import(out)) as { jobFiles: JobFile[] };
    const registry = buildRegistry(jobFiles);
    expect([...registry.jobs.keys()]).toEqual(["alpha"]);
    expect(registry.problems).toEqual([
      {
        file: "workflows/beta.ts",
        path: "",
        line: 1,
        column: 17,
        message: 'does not compile: Expected identifier but found "{"',
      },
    ]);
  });

  it("rewrites a stale manifest at refresh, and only then", async () => {
    await project({ "alpha.ts": goodJob("alpha") });
    await writeFile(join(dir, "workflows", "gamma.ts"), goodJob("gamma"));
    expect((await refreshManifest(dir)).written).toBe(true);
    expect((await refreshManifest(dir)).written).toBe(false);
    expect((await readFile(join(dir, "workflows", "index.ts"), "utf8")).includes("./gamma.ts")).toBe(true);
  });

  it("validates the project's own jobs", async () => {
    const { problems, jobs } = await validateProject({
      root: ROOT,
      dir: "workflows",
      wranglerConfig: "wrangler.jsonc",
    });
    expect(problems).toEqual([]);
    expect(jobs).toContain("hello-kv");
  });
});
