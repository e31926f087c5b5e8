/**
 * What the deploy step checks in the Sandbox before wrangler runs (and before
 * any account is provisioned): the Worker config asks only for what a
 * temporary account has (worker-config-support.ts), and which wrangler will
 * deploy it (wrangler-choice.ts, docs/deploy.md). Both files are read by one
 * `cat` inside the Sandbox, never by the host, so a project's
 * `node_modules/wrangler` that is a symlink (as pnpm makes them) is read as
 * wrangler inside the Sandbox will see it, and nothing of the project runs
 * outside it. Worker-safe.
 */
import { configSupportProblems, describeConfigProblem } from "../../jobs/worker-config-support.ts";
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

export interface ProjectRead {
  /** The Worker config's text, or null when there is none (wrangler says so itself). */
  config: string | null;
  /** The text of the project's own `node_modules/wrangler/package.json`, or null. */
  ownWrangler: string | null;
}

/** The Sandbox directory of a Worker config given relative to /workspace (or absolute). */
export function projectDirOf(config: string): string {
  const absolute = config.startsWith("/") ? config : `${WORKSPACE_DIR}/${config}`;
  const dir = absolute.slice(0, absolute.lastIndexOf("/"));
  return dir.replace(/\/\.$/, "") || "/";
}

export async function readProject(sandbox: Sandbox, config: string): Promise<ProjectRead> {
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
  return {
    config: head.startsWith("config\n") ? head.slice("config\n".length) : null,
    ownWrangler: tail === "" ? null : tail,
  };
}

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
  const name = config.slice(config.lastIndexOf("/") + 1);
  const problems: string[] = [];
  if (temporary && read.config !== null) {
    const parsed = parseConfig(name, read.config);
    if (parsed.ok)
      for (const problem of configSupportProblems(parsed.value))
        problems.push(`${config}: ${describeConfigProblem(problem)}`);
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
  const read = await readProject(input.sandbox, input.config);
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
