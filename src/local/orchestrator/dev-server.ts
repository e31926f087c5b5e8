/**
 * The orchestrator under wrangler's dev server: D1 migrations applied first (wrangler
 * dev does not apply them), state persisted on disk so runs, gates and
 * Workflow instances survive a restart, and a `stop()` that ends the whole
 * process group.
 *
 * Secrets (the API token, the egress proxy's and the Sandbox host's secrets, the
 * organisation's Cloudflare token) never go on wrangler's command line, which
 * every user of the machine can read in `ps`: they go into a vars file only the
 * owner can read (mode 0600, in the wrangler state dir), handed over with
 * its `envFiles`; wrangler binds them as secrets (and does not print them).
 * Plain variables go in the child's one JSON argument.
 *
 * The debugger is off: wrangler 4.156's `dev` command always opens one (no
 * flag turns it off, and its Origin check admits any page on 127.0.0.1), so
 * the server runs through wrangler's programmatic API instead (dev-worker.ts),
 * the same dev server without an inspector.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:fs";
import { chmod, mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { lineSplitter } from "./dev-output.ts";
import type { DevWorkerArgs } from "./dev-worker.ts";
import { runWrangler, wranglerEnv } from "./wrangler.ts";

/** The child's entry: wrangler's programmatic dev server, with the debugger off. */
const DEV_WORKER = join(import.meta.dirname, "dev-worker.ts");

export interface DevServerOptions {
  /** Project root (where wrangler resolves paths from). */
  cwd: string;
  /** wrangler config, relative to cwd. */
  config: string;
  port: number;
  /** Where D1, Workflows and Durable Object state live. */
  persistTo: string;
  /** Where wrangler's own config, logs and caches go. */
  stateDir: string;
  vars?: Record<string, string>;
  /** Variables the Worker gets as secrets, through the 0600 vars file (never argv). */
  secrets?: Record<string, string>;
  /**
   * Called with each whole line wrangler prints (non-durable, for logs), blank ones too: they
   * end wrangler's warning and error blocks (dev-output.ts).
   */
  onLine?: (line: string) => void;
  /**
   * Apply D1 migrations first (default). A restart of the same Worker on the same state has
   * them already and skips the extra wrangler process.
   */
  migrate?: boolean;
}

export interface DevServer {
  url: string;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** SIGKILL at once: a crash, as far as the state on disk can tell. */
  kill(): Promise<void>;
}

export async function applyMigrations(options: DevServerOptions): Promise<void> {
  await mkdir(options.stateDir, { recursive: true });
  await runWrangler(
    [
      "d1",
      "migrations",
      "apply",
      "DB",
      "--local",
      "--config",
      options.config,
      "--persist-to",
      options.persistTo,
    ],
    options,
  );
}

/** Where `secrets` are written for wrangler dev (its state dir, mode 0600). */
export function secretVarsPath(options: Pick<DevServerOptions, "stateDir">): string {
  return join(options.stateDir, "secret.vars");
}

/**
 * Writes `secrets` as a dotenv file only the owner can read. wrangler expands `$NAME` in
 * values, so every `$` is escaped; a quote or line break cannot be written safely and is refused.
 */
async function writeSecretVars(path: string, secrets: Record<string, string>): Promise<void> {
  const lines = Object.entries(secrets).map(([key, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`bad secret name ${key}`);
    if (/['\r\n]/.test(value)) throw new Error(`the secret ${key} holds a quote or a line break`);
    return `${key}='${value.replaceAll("$", "\\$")}'`;
  });
  await rm(path, { force: true });
  // O_EXCL with 0600: the file is never readable by others, not even for a moment.
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(`${lines.join("\n")}\n`);
  } finally {
    await handle.close();
  }
  await chmod(path, 0o600);
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  if (options.migrate !== false) await applyMigrations(options);
  const secretsFile = secretVarsPath(options);
  await writeSecretVars(secretsFile, options.secrets ?? {});
  // No secret in here: `ps` shows it.
  const args: DevWorkerArgs = {
    config: options.config,
    port: options.port,
    persistTo: options.persistTo,
    vars: options.vars ?? {},
    envFile: secretsFile,
  };
  const child = spawn(process.execPath, ["--import", "tsx", DEV_WORKER, JSON.stringify(args)], {
    cwd: options.cwd,
    env: wranglerEnv(options.stateDir),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  // The dev server leads its own process group (so a stop takes workerd down too) and therefore
  // does not get the terminal's Ctrl-C: if this process exits without stopping it, take it along.
  const reap = () => {
    try {
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {}
  };
  process.once("exit", reap);
  child.once("exit", () => process.off("exit", reap));
  const url = `http://127.0.0.1:${options.port}`;
  let output = "";
  // One splitter a stream: a chunk may end mid-line, and the two streams interleave.
  const follow = (stream: NodeJS.ReadableStream | null) => {
    const lines = lineSplitter();
    stream?.on("data", (d: Buffer) => {
      const text = d.toString();
      output = (output + text).slice(-20_000);
      for (const line of lines.push(text)) options.onLine?.(line);
    });
    stream?.on("end", () => {
      for (const line of lines.flush()) options.onLine?.(line);
    });
  };
  follow(child.stdout);
  follow(child.stderr);
  try {
    await waitReady(url, child, () => output);
  } catch (error) {
    await stop(child);
    throw error;
  }
  return { url, stop: () => stop(child), kill: () => stop(child, "SIGKILL") };
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`wrangler dev did not answer within 60 s:\n${output()}`);
}

function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
    }, 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-child.pid!, signal);
    } catch {
      resolve();
    }
  });
}
