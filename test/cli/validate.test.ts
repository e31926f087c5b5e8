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
import { temporaryAccountSupport } from "../../src/jobs/temporary-account-support.ts";

const ROOT = join(import.meta.dirname, "..", "..");
let dir: string;

const SESSION = '{ version: 1, recordedFrom: "test", rounds: [{ summary: "s" }] }';
const goodJob = (name: string, extra = "") => `export default {
  name: "${name}",
  source: { kind: "git", url: "https://git.example/r.git" },
  agent: { adapter: "replay", instructions: "go", options: { session: ${SESSION} } },
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

  describe("what a run will need", () => {
    const directoryJob = (
      name: string,
      path: string,
      agent = `{ adapter: "replay", instructions: "go", options: { session: ${SESSION} } }`,
      config = "",
    ) =>
      `export default {
  name: "${name}",
  source: { kind: "directory", path: "${path}" },
  agent: ${agent},
  deploy: { workerName: "${name}"${config} },
  verify: { probes: [{ path: "/" }] },
};
`;
    const worker = async (path: string, files: Record<string, string>) => {
      for (const [name, text] of Object.entries(files)) {
        await mkdir(join(dir, path, name, ".."), { recursive: true });
        await writeFile(join(dir, path, name), text);
      }
    };
    const problemsOf = async () =>
      (await validateProject({ root: dir, dir: "workflows", wranglerConfig: null })).problems.map((p) =>
        p.line === undefined
          ? `${p.file}: ${p.path}: ${p.message}`
          : `${p.file}:${p.line}:${p.column}: ${p.message}`,
      );

    it("passes a directory source whose Worker config parses and names an entry that exists", async () => {
      await project({ "alpha.ts": directoryJob("alpha", "workflows/alpha") });
      await worker("workflows/alpha", {
        "wrangler.jsonc": '{\n  // the Worker\n  "name": "alpha",\n  "main": "src/index.ts",\n}',
        "src/index.ts": "export default {};\n",
      });
      expect(await problemsOf()).toEqual([]);
    });

    it("refuses a source path that does not exist", async () => {
      await project({ "alpha.ts": directoryJob("alpha", "workflows/nope") });
      expect(await problemsOf()).toEqual([
        'workflows/alpha.ts: source.path: "workflows/nope" is not a directory in the project (paths are relative to the project root)',
      ]);
      const result = cli("--wrangler", "none");
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('workflows/alpha.ts: source.path: "workflows/nope" is not a directory');
    });

    it("refuses a malformed replay session with the zod path of the bad field, as the run would", async () => {
      const agent = `{ adapter: "replay", instructions: "go", options: { session: { version: 1, recordedFrom: "t", rounds: [{ summary: "s", edits: [{ path: "a.ts" }] }] } } }`;
      await project({
        "alpha.ts": goodJob("alpha").replace(/agent: \{.*\},\n/, `agent: ${agent},\n`),
        "beta.ts": goodJob("beta").replace(/options: .*\} \},/, "},"),
      });
      const problems = await problemsOf();
      expect(problems).toContainEqual(
        expect.stringMatching(
          /^workflows\/alpha\.ts: agent\.options\.session\.rounds\.0\.edits\.0\.content: the replay agent needs a recorded session: Invalid input: expected string/,
        ),
      );
      expect(problems).toContainEqual(
        expect.stringMatching(
          /^workflows\/beta\.ts: agent\.options\.session: the replay agent needs a recorded session: .*expected object/,
        ),
      );
    });

    it("refuses a Worker config that is missing, does not parse (with its line) or names no entry file", async () => {
      await project({
        "alpha.ts": directoryJob("alpha", "workflows/alpha"),
        "beta.ts": directoryJob("beta", "workflows/beta"),
        "gamma.ts": directoryJob("gamma", "workflows/gamma", undefined, ', config: "wrangler.toml"'),
        "delta.ts": directoryJob("delta", "workflows/delta"),
      });
      await worker("workflows/alpha", { "wrangler.toml": 'name = "alpha"\n' });
      await worker("workflows/beta", {
        "wrangler.jsonc": '{\n  /* a\n  comment */\n  "name": "beta"\n  "main": "x.ts"\n}',
      });
      await worker("workflows/gamma", { "wrangler.toml": 'name = "gamma"\nmain = \n' });
      await worker("workflows/delta", { "wrangler.jsonc": '{ "main": "src/missing.ts" }' });
      const problems = await problemsOf();
      expect(problems).toContain(
        "workflows/alpha.ts: deploy.config: the Worker config workflows/alpha/wrangler.jsonc does not exist (workflows/alpha has wrangler.toml)",
      );
      expect(problems).toContainEqual(
        expect.stringMatching(/^workflows\/beta\/wrangler\.jsonc:5:3: does not parse: /),
      );
      expect(problems).toContainEqual(
        expect.stringMatching(/^workflows\/gamma\/wrangler\.toml:2:\d+: does not parse: /),
      );
      expect(problems).toContain(
        'workflows/delta/wrangler.jsonc: main: the Worker\'s entry file "src/missing.ts" does not exist (relative to workflows/delta/wrangler.jsonc)',
      );
      expect(problems).toHaveLength(4);
    });
    it("refuses a Worker config a temporary account cannot deploy, with its file and field, and exits 1", async () => {
      await project({ "alpha.ts": directoryJob("alpha", "workflows/alpha") });
      await worker("workflows/alpha", {
        "wrangler.jsonc": JSON.stringify({
          name: "alpha",
          main: "src/index.ts",
          r2_buckets: [{ binding: "FILES", bucket_name: "files" }],
          d1_databases: [
            { binding: "DB", database_name: "one" },
            { binding: "AUDIT", database_name: "two" },
          ],
          // not what the deploy uses: no problem
          env: { production: { ai: { binding: "AI" } } },
        }),
        "src/index.ts": "export default {};\n",
      });
      const source = `(source: ${temporaryAccountSupport.source.url})`;
      expect(await problemsOf()).toEqual([
        `workflows/alpha/wrangler.jsonc: r2_buckets[0]: (binding "FILES") R2 is not available on a temporary account ${source}`,
        `workflows/alpha/wrangler.jsonc: d1_databases[1]: (binding "AUDIT") D1 on a temporary account: one database, up to 100 MB per database and 100 MB total; this config asks for 2 D1 databases ${source}`,
      ]);
      const result = cli("--wrangler", "none");
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        'workflows/alpha/wrangler.jsonc: r2_buckets[0]: (binding "FILES") R2 is not available on a temporary account',
      );
      expect(result.stderr).toContain('workflows/alpha/wrangler.jsonc: d1_databases[1]: (binding "AUDIT")');
    });

    it("counts the assets directory's files and sizes, and refuses a project that pins wrangler 3", async () => {
      await project({ "alpha.ts": directoryJob("alpha", "workflows/alpha") });
      await worker("workflows/alpha", {
        "wrangler.toml": 'name = "alpha"\n[assets]\ndirectory = "public"\n',
        "public/index.html": "<h1>hi</h1>",
        "node_modules/wrangler/package.json": '{ "name": "wrangler", "version": "3.114.0" }',
      });
      await writeFile(join(dir, "workflows/alpha/public/big.bin"), Buffer.alloc(5 * 1024 * 1024 + 1));
      await writeFile(
        join(dir, "workflows/alpha.ts"),
        directoryJob("alpha", "workflows/alpha", undefined, ', config: "wrangler.toml"'),
      );
      expect(await problemsOf()).toEqual([
        expect.stringMatching(
          /^workflows\/alpha\/wrangler\.toml: assets\.directory: \("public\/big\.bin"\) Workers Static Assets on a temporary account: up to 1,000 files, each up to 5 MiB; this config asks for a file of 5242881 bytes/,
        ),
        "workflows/alpha/node_modules/wrangler/package.json: version: this project pins wrangler 3.114.0; `--temporary` needs wrangler ≥ 4.102: run `npm install -D wrangler@4` in the project",
      ]);
      // wrangler applies an .assetsignore's patterns itself: a directory with one is not counted
      await writeFile(join(dir, "workflows/alpha/public/.assetsignore"), "big.bin\n");
      expect(await problemsOf()).toEqual([expect.stringContaining("pins wrangler 3.114.0")]);
    });
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
