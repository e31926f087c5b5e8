/**
 * Test helper: runs the local Sandbox host as a child process (the real CLI,
 * `nightshift sandbox-host`), so a test can SIGKILL it mid-call and start it
 * again on the same port and state dir. Also cleans up a state dir: unmounts
 * whatever a killed host left mounted there before deleting it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../../src/local/net.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");

export { freePort };

export function tempStateDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `nightshift-${prefix}-`));
}

/** Unmounts everything under `dir` (deepest first), then deletes it. */
export function removeStateDir(dir: string): void {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => !!p && (p === dir || p.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) execFileSync("umount", ["-l", point]);
  rmSync(dir, { recursive: true, force: true });
}

export interface HostProcess {
  url: string;
  /** The bearer secret the CLI keeps in `<state-dir>/host-secret` (the same across restarts). */
  secret: string;
  /** Everything the CLI printed so far (stdout and stderr). */
  readonly printed: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function spawnHost(opts: {
  stateDir: string;
  args?: string[];
  env?: Record<string, string>;
}): Promise<HostProcess> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  let printed = "";
  const start = async () => {
    const proc = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "src/cli/main.ts"),
        "sandbox-host",
        "--port",
        String(port),
        "--state-dir",
        opts.stateDir,
        ...(opts.args ?? []),
      ],
      { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    child = proc;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        printed += chunk.toString();
        if (output.includes("sandbox-host: http://")) resolve();
      };
      proc.stdout?.on("data", onData);
      proc.stderr?.on("data", onData);
      proc.once("exit", (code) => reject(new Error(`sandbox-host exited (${code}): ${output}`)));
    });
  };
  const waitExit = (proc: ChildProcess, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once("exit", () => resolve());
      proc.kill(signal);
    });
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    secret: readFileSync(join(opts.stateDir, "host-secret"), "utf8").trim(),
    get printed() {
      return printed;
    },
    async kill() {
      if (child) await waitExit(child, "SIGKILL");
    },
    async restart() {
      await start();
    },
    async stop() {
      if (child) await waitExit(child, "SIGTERM");
    },
  };
}

export function writeHostFile(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
