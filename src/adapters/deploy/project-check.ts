/**
 * What the deploy step checks in the Sandbox before wrangler runs (and before
 * any account is provisioned): the Worker config asks only for what a
 * temporary account has (worker-config-support.ts, its assets directory's
 * files included), and which wrangler will deploy it (wrangler-choice.ts,
 * docs/deploy.md). The config and the project's wrangler package.json are
 * read by one `cat` inside the Sandbox (an assets directory by nightshift's
 * small node script there), never by the host, so a `node_modules/wrangler`
 * that is a symlink (as pnpm makes them) reads as wrangler in the Sandbox
 * sees it, and nothing of the project runs outside it. Worker-safe.
 */
import {
  type AssetsSummary,
  assetFileBytesLimit,
  assetsDirectory,
  assetsProblems,
  configSupportProblems,
  describeConfigProblem,
} from "../../jobs/worker-config-support.ts";
import { parseConfig } from "../../jobs/worker-config.ts";
import { chooseWrangler } from "../../jobs/wrangler-choice.ts";
import type { DeployError } from "../../ports/deployer.ts";
import { err, ok, type Result } from "../../ports/result.ts";
import { type Sandbox, WORKSPACE_DIR } from "../../ports/sandbox.ts";

/** The read is two small files: a Sandbox that cannot cat them in this long is not answering. */
const READ_MS = 30_000;

/**
 * Prints the config (after a `config`/`none` line), a marker line, then the project's
 * `node_modules/wrangler/package.json` when there is one. The marker is the caller's, fresh
 * per read, so no file's text can fake the split.
 */
const READ = `cfg="$1"; pkg="$2"; mark="$3"
if [ -f "$cfg" ]; then echo config; cat -- "$cfg"; else echo none; fi
printf '\\n%s\\n' "$mark"
if [ -f "$pkg" ]; then cat -- "$pkg"; fi
`;

/**
 * Counts the files of an assets directory and names those over the size limit, printing
 * `{ files, large }` as JSON (or `null`: no such directory, or an `.assetsignore` whose
 * patterns are wrangler's to apply). nightshift's own script, run by the Sandbox's node.
 */
const LIST_ASSETS = `const fs = require("node:fs"), p = require("node:path");
const dir = p.resolve(process.argv[1], process.argv[2]), max = Number(process.argv[3]);
if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() || fs.existsSync(p.join(dir, ".assetsignore"))) {
  console.log("null");
  process.exit(0);
}
let files = 0;
const large = [];
for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
  if (!e.isFile()) continue;
  files++;
  const file = p.join(e.parentPath ?? e.path, e.name);
  const bytes = fs.statSync(file).size;
  if (bytes > max) large.push({ path: p.relative(dir, file), bytes });
}
console.log(JSON.stringify({ files, large }));
`;

export interface ProjectRead {
  /** The Worker config's text, or null when there is none (wrangler says so itself). */
  config: string | null;
  /** The text of the project's own `node_modules/wrangler/package.json`, or null. */
  ownWrangler: string | null;
  /** The config's assets directory as its limits need it, when it has one and it was read. */
  assets?: AssetsSummary | null;
}

/** The Sandbox directory of a Worker config given relative to /workspace (or absolute). */
export function projectDirOf(config: string): string {
  const absolute = config.startsWith("/") ? config : `${WORKSPACE_DIR}/${config}`;
  const dir = absolute.slice(0, absolute.lastIndexOf("/"));
  return dir.replace(/\/\.$/, "") || "/";
}

/** The project as the deploy needs it; the assets directory only when `withAssets` (a temporary deploy). */
export async function readProject(
  sandbox: Sandbox,
  config: string,
  withAssets: boolean,
): Promise<ProjectRead> {
  const dir = projectDirOf(config);
  const mark = `--nightshift-read-${crypto.randomUUID()}--`;
  const result = await sandbox.exec(
    ["sh", "-c", READ, "nightshift-read", config, `${dir}/node_modules/wrangler/package.json`, mark],
    { cwd: WORKSPACE_DIR, timeoutMs: READ_MS },
  );
  const at = result.stdout.indexOf(`\n${mark}\n`);
  if (result.exitCode !== 0 || at < 0)
    throw new Error(
      `reading the Worker project in the Sandbox failed (exit ${result.exitCode}): ${result.stderr}`,
    );
  const head = result.stdout.slice(0, at);
  const tail = result.stdout.slice(at + mark.length + 2);
  const read: ProjectRead = {
    config: head.startsWith("config\n") ? head.slice("config\n".length) : null,
    ownWrangler: tail === "" ? null : tail,
  };
  const parsed = withAssets && read.config !== null ? parseConfig(nameOf(config), read.config) : null;
  const assets = parsed?.ok ? assetsDirectory(parsed.value) : null;
  if (assets !== null) read.assets = await readAssets(sandbox, dir, assets);
  return read;
}

/** An assets directory's summary, read by the Sandbox's node (no listing of every file comes back). */
async function readAssets(
  sandbox: Sandbox,
  projectDir: string,
  assets: string,
): Promise<AssetsSummary | null> {
  const result = await sandbox.exec(
    ["node", "-e", LIST_ASSETS, projectDir, assets, String(assetFileBytesLimit())],
    { cwd: WORKSPACE_DIR, timeoutMs: READ_MS },
  );
  if (result.exitCode !== 0)
    throw new Error(
      `listing the assets directory in the Sandbox failed (exit ${result.exitCode}): ${result.stderr}`,
    );
  return JSON.parse(result.stdout) as AssetsSummary | null;
}

const nameOf = (config: string) => config.slice(config.lastIndexOf("/") + 1);

/** What the deploy will run: the wrangler argv and the log lines saying which and why. */
export interface DeployPlan {
  wrangler: readonly string[];
  notes: string[];
}

/**
 * Pure: the plan for a project as read, or an `unsupported_config` failure listing every
 * problem (a config that does not parse is left to wrangler, whose own error is a build error).
 */
export function planDeploy(
  read: ProjectRead,
  config: string,
  fallback: readonly string[],
  /** Whether the deploy goes to a temporary account (the promotion's own account has it all). */
  temporary: boolean,
): Result<DeployPlan, { code: "unsupported_config"; problems: string[] }> {
  const problems: string[] = [];
  if (temporary && read.config !== null) {
    const parsed = parseConfig(nameOf(config), read.config);
    const assets = parsed.ok ? assetsDirectory(parsed.value) : null;
    const found = parsed.ok ? configSupportProblems(parsed.value) : [];
    if (assets !== null && read.assets) found.push(...assetsProblems(assets, read.assets));
    for (const problem of found) problems.push(`${config}: ${describeConfigProblem(problem)}`);
  }
  const choice = chooseWrangler({ projectDir: projectDirOf(config), ownPackage: read.ownWrangler, fallback });
  if (!choice.ok) problems.push(choice.message);
  if (problems.length || !choice.ok) return err({ code: "unsupported_config", problems });
  return ok({ wrangler: choice.argv, notes: [`# wrangler: ${choice.why}`] });
}

/**
 * Reads the project in the Sandbox and plans its deploy; a refusal is stored as the step's log
 * (what the fix round reads) and comes back as a `DeployError` naming every problem.
 */
export async function checkProject(input: {
  sandbox: Sandbox;
  config: string;
  fallback: readonly string[];
  temporary: boolean;
  log: { ref: string; runId: string; kind: string };
  putLog(log: { ref: string; runId: string; kind: string; body: string }): Promise<string>;
}): Promise<Result<DeployPlan, DeployError>> {
  const read = await readProject(input.sandbox, input.config, input.temporary);
  const plan = planDeploy(read, input.config, input.fallback, input.temporary);
  if (plan.ok) return plan;
  const { problems } = plan.error;
  const logRef = await input.putLog({
    ...input.log,
    body: [
      `# not deployed: checked before wrangler ran${input.temporary ? ", no account was provisioned" : ""}`,
      ...problems.map((p) => `- ${p}`),
    ].join("\n"),
  });
  return err({
    code: "unsupported_config",
    message: `the Worker project cannot be deployed${input.temporary ? " to a temporary account" : ""}: ${problems.join("; ")}`,
    logRef,
  });
}
