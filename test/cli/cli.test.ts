/**
 * The `nightshift` command line itself, with no server: help for every verb in the table (so
 * a new verb is covered as soon as it is declared), one-line usage errors with suggestions and
 * exit 2, `--json` where it runs without a server, shell completion in a real bash, and the
 * verbs' modules kept out of what `help` loads. The checks made for every verb run the program
 * in this process (`runCli`, the function the binary runs); the others run the real binary
 * (bin/nightshift.mjs). The API verbs against a real orchestrator are in inbox-commands.test.ts.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verbs } from "../../src/cli/commands/index.ts";
import { optionsOf, runCli } from "../../src/cli/program.ts";

const ROOT = join(import.meta.dirname, "..", "..");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin", "nightshift.mjs"), ...args],
      // No server is listening here: a command that reached for one would fail, not hang.
      { cwd: ROOT, env: { ...process.env, NIGHTSHIFT_URL: "http://127.0.0.1:1" }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The program in this process, its help and usage errors captured. */
async function inProcess(...args: string[]): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    sink: { out: (t) => (stdout += t), err: (t) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

const names = Object.keys(verbs);
const longFlag = (flags: string) => /--[\w-]+/.exec(flags)![0];

/** A usage error as the CLI must print it: one line on stderr, nothing on stdout, exit 2, no stack. */
function expectUsageError(r: Result, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe("nightshift's help", () => {
  it("answers `<verb> --help` for every verb with its usage, arguments, options and an example", async () => {
    for (const [name, spec] of Object.entries(verbs)) {
      const r = await inProcess(name, "--help");
      expect(r.code, `${name} --help`).toBe(0);
      expect(r.stderr, `${name} --help`).toBe("");
      expect(r.stdout).toMatch(new RegExp(`^Usage: nightshift ${name} `));
      for (const arg of spec.args ?? []) expect(r.stdout, `${name} ${arg.name}`).toContain(arg.name);
      for (const o of optionsOf(spec)) {
        expect(r.stdout, `${name} ${o.flags}`).toContain(o.flags);
        expect(r.stdout.replace(/\s+/g, " "), `${name} ${o.flags}`).toContain(o.description.slice(0, 30));
      }
      expect(r.stdout).toContain(`Examples:\n  $ ${spec.examples[0]}`);
    }
  });

  it("lists every verb with its summary, for `help`, `--help` and no arguments at all", async () => {
    const [help, dashed, bare, one] = await Promise.all([
      cli("help"),
      cli("--help"),
      cli(),
      cli("help", "logs"),
    ]);
    for (const r of [help, dashed, bare]) {
      expect(r.code).toBe(0);
      const text = r.stdout.replace(/\s+/g, " ");
      for (const name of names) expect(text).toContain(`${name} `);
      for (const spec of Object.values(verbs)) expect(text).toContain(spec.summary.slice(0, 30));
    }
    expect(help.stdout).toBe(bare.stdout);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^Usage: nightshift logs \[options\] <run>/);
    expect(one.stdout).toContain("-f, --follow");
  });

  it("says its version", async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
    const r = await cli("--version");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
});

describe("nightshift's usage errors", () => {
  it("suggests the nearest verb for an unknown one, also after `help`", async () => {
    const [typo, help] = await Promise.all([cli("rnus"), cli("help", "aprove")]);
    expectUsageError(
      typo,
      /^nightshift: unknown command 'rnus' \(did you mean runs\?\); see: nightshift help$/,
    );
    expectUsageError(help, /unknown command 'aprove' \(did you mean approve\?\)/);
  });

  it("names an unknown option on one line with the verb's help, for every verb, before loading it", async () => {
    // `start` used to crash here with a stack trace (ERR_PARSE_ARGS_UNKNOWN_OPTION).
    for (const name of names)
      expectUsageError(
        await inProcess(name, "--no-such-option"),
        new RegExp(`^nightshift: unknown option '--no-such-option'; see: nightshift ${name} --help$`),
      );
    // And through the binary, for the verb that loads the most.
    expectUsageError(
      await cli("start", "--no-example", "--bogus"),
      /^nightshift: unknown option '--bogus'; see: nightshift start --help$/,
    );
  });

  it("prints `start --help` from the binary with the options it takes", async () => {
    const r = await cli("start", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: nightshift start \[options\]/);
    for (const flag of [
      "--no-example",
      "--verbose",
      "--port <port>",
      "--state-dir <dir>",
      "--unsafe-no-bwrap",
    ])
      expect(r.stdout).toContain(flag);
  });

  it("suggests the option meant, and names a missing argument, a bad choice and an extra argument", async () => {
    const [follow, missing, choice, extra] = await Promise.all([
      cli("logs", "run-1", "--folow"),
      cli("approve", "run-1"),
      cli("sandbox-host", "--network", "open"),
      cli("runs", "extra"),
    ]);
    expectUsageError(
      follow,
      /unknown option '--folow' \(did you mean --follow\?\); see: nightshift logs --help/,
    );
    expectUsageError(missing, /missing required argument 'gate'; see: nightshift approve --help/);
    expectUsageError(choice, /'open' is invalid\. Allowed choices are isolated, none, host; see:/);
    expectUsageError(extra, /too many arguments for 'runs'/);
  });

  it("prints the error as JSON on stdout under --json", async () => {
    const r = await cli("runs", "--bogus", "--json");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: "usage", message: "unknown option '--bogus'; see: nightshift runs --help" },
    });
  });

  it("says 6 with one line when the API cannot be reached", async () => {
    const r = await cli("jobs", "--url", "http://127.0.0.1:1");
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^nightshift: cannot reach nightshift at http:\/\/127\.0\.0\.1:1 /);
  });
});

describe("nightshift --json without a server", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "nightshift-cli-json-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("validate --json: the verdict, the jobs and each problem, whatever the outcome", async () => {
    const good = await cli("validate", "--json");
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({ valid: true, jobs: ["hello-kv"], problems: [] });

    await writeFile(join(dir, "wrangler.jsonc"), "{}");
    await mkdir(join(dir, "workflows"));
    await writeFile(join(dir, "workflows", "alpha.ts"), "export default {{ broken");
    const bad = await cli("validate", "--json", "--root", dir);
    expect(bad.code).toBe(1);
    const body = JSON.parse(bad.stdout) as { valid: boolean; problems: { file: string; line?: number }[] };
    expect(body.valid).toBe(false);
    expect(body.problems).toContainEqual(expect.objectContaining({ file: "workflows/alpha.ts", line: 1 }));
  });

  it("completion --json: every verb with its arguments and options, as the help has them", async () => {
    const r = await cli("completion", "--json");
    expect(r.code).toBe(0);
    const { verbs: tree } = JSON.parse(r.stdout) as {
      verbs: { name: string; args: { name: string }[]; options: { names: string[] }[] }[];
    };
    expect(tree.map((v) => v.name)).toEqual([...names, "help"]);
    for (const [name, spec] of Object.entries(verbs)) {
      const node = tree.find((v) => v.name === name)!;
      expect(node.options.flatMap((o) => o.names)).toEqual(
        expect.arrayContaining([...optionsOf(spec).map((o) => longFlag(o.flags)), "--help"]),
      );
      expect(node.args.map((a) => a.name)).toEqual((spec.args ?? []).map((a) => a.name.slice(1, -1)));
    }
  });
});

describe("nightshift completion", () => {
  it("completes verbs, options, choices and argument values in a real bash", async () => {
    const script = await cli("completion", "bash");
    expect(script.code).toBe(0);
    const probe = (line: string) =>
      `COMP_WORDS=(${line}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _nightshift; echo "\${COMPREPLY[*]}"`;
    const cases: [string, string][] = [
      ["nightshift ru", "run runs"],
      ["nightshift un", "unpause"],
      ["nightshift logs run-1 --fo", "--follow"],
      ["nightshift start --no", "--no-example"],
      ['nightshift sandbox-host --network ""', "isolated none host"],
      ['nightshift token ""', "create list revoke"],
      ['nightshift token --roles viewer ""', "create list revoke"],
      ['nightshift token create ""', ""],
      ['nightshift completion ""', "bash zsh"],
      ["nightshift help pa", "pause"],
    ];
    const bash = spawnSync(
      "bash",
      ["--norc", "-c", `${script.stdout}\n${cases.map(([l]) => probe(l)).join("\n")}`],
      {
        encoding: "utf8",
      },
    );
    expect(bash.stderr).toBe("");
    expect(bash.stdout.split("\n").slice(0, -1)).toEqual(cases.map(([, want]) => want));
  });

  it("writes a zsh script naming every verb and each verb's options", async () => {
    const r = await cli("completion", "zsh");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("#compdef nightshift");
    for (const [name, spec] of Object.entries(verbs)) {
      expect(r.stdout).toContain(`    '${name}:`);
      const block = r.stdout.slice(r.stdout.indexOf(`        ${name})\n`));
      const body = block.slice(0, block.indexOf(";;"));
      for (const o of optionsOf(spec)) expect(body, `${name} ${o.flags}`).toContain(longFlag(o.flags));
    }
  });

  it("asks for a shell when none is named", async () => {
    expectUsageError(await cli("completion"), /^nightshift: name a shell: nightshift completion bash/);
  });
});

describe("what `nightshift help` loads", () => {
  it("is the verb table and commander: no command module, nothing of the local stack", async () => {
    // Bundled as Node loads it, with each dynamic import split into its own chunk: the entry
    // chunk is everything `help` and argument checking evaluate.
    const result = await build({
      entryPoints: [join(ROOT, "src/cli/main.ts")],
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      packages: "external",
      outdir: join(tmpdir(), "nightshift-cli-chunks"),
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const { outputs } = result.metafile;
    // The entry chunk and the chunks it imports statically (code shared with a lazy chunk moves into one).
    const loaded = new Set([Object.keys(outputs).find((o) => outputs[o]!.entryPoint === "src/cli/main.ts")!]);
    for (const chunk of loaded)
      for (const i of outputs[chunk]!.imports)
        if (i.kind === "import-statement" && !i.external) loaded.add(i.path);
    const inputs = [...loaded].flatMap((chunk) => Object.keys(outputs[chunk]!.inputs)).sort();
    expect(inputs).toContain("src/cli/commands/index.ts");
    expect(
      inputs.filter((f) => f.startsWith("src/cli/commands/") && f !== "src/cli/commands/index.ts"),
    ).toEqual([]);
    expect(inputs.filter((f) => !f.startsWith("src/cli/"))).toEqual([]);
    const packages = [...loaded].flatMap((chunk) =>
      outputs[chunk]!.imports.filter((i) => i.kind === "import-statement" && i.external).map((i) => i.path),
    );
    expect([...new Set(packages.filter((p) => !p.startsWith("node:")))]).toEqual(["commander"]);
  });

  it("loads each verb's command when asked", async () => {
    for (const [name, spec] of Object.entries(verbs))
      expect(typeof (await spec.load()).run, name).toBe("function");
  });
});

describe("the CLI's documentation", () => {
  it("has every verb with each of its options in docs/cli.md, and every verb in the README", async () => {
    const doc = await readFile(join(ROOT, "docs", "cli.md"), "utf8");
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const commands = readme.slice(readme.indexOf("## Commands"));
    for (const [name, spec] of Object.entries(verbs)) {
      const row = doc
        .split("\n")
        .find((l) => l.startsWith(`| \`nightshift ${name} `) || l.startsWith(`| \`nightshift ${name}\``));
      expect(row, `docs/cli.md row for ${name}`).toBeDefined();
      for (const o of spec.options ?? []) expect(row, `${name} ${o.flags}`).toContain(longFlag(o.flags));
      expect(commands, `README for ${name}`).toMatch(new RegExp(`\\b${name} `));
    }
  });
});
