/**
 * Running the real wrangler CLI from Node: always on the project's Node 22
 * (`process.execPath` under `npm run`/tsx), with a scrubbed, offline
 * environment and its config/logs kept inside the given state directory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** The wrangler entry script of the pinned devDependency. */
export function wranglerBin(): string {
  return join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
}

export function wranglerEnv(stateDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: join(stateDir, "home"),
    XDG_CONFIG_HOME: join(stateDir, "config"),
    TMPDIR: process.env.TMPDIR ?? "/tmp",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_PATH: join(stateDir, "logs"),
    CI: "true",
    ...extra,
  };
}

export function spawnWrangler(
  args: string[],
  options: { cwd: string; stateDir: string; env?: Record<string, string> },
): ChildProcess {
  return spawn(process.execPath, [wranglerBin(), ...args], {
    cwd: options.cwd,
    env: wranglerEnv(options.stateDir, options.env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
}

/** Runs wrangler to completion; resolves with its output, rejects with it on a non-zero exit. */
export function runWrangler(
  args: string[],
  options: { cwd: string; stateDir: string; env?: Record<string, string> },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnWrangler(args, options);
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`wrangler ${args.join(" ")} exited ${code}:\n${output}`)),
    );
  });
}
