/**
 * The orchestrator under `wrangler dev`: D1 migrations applied first (wrangler
 * dev does not apply them), state persisted on disk so runs, gates and
 * Workflow instances survive a restart, and a `stop()` that ends the whole
 * process group.
 */
import type { ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { runWrangler, spawnWrangler } from "./wrangler.ts";

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
  /** Called with each line wrangler prints (non-durable, for logs). */
  onLine?: (line: string) => void;
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

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  await applyMigrations(options);
  const args = [
    "dev",
    "--config",
    options.config,
    "--ip",
    "127.0.0.1",
    "--port",
    String(options.port),
    "--inspector-port",
    String(options.port + 1000),
    "--persist-to",
    options.persistTo,
    "--show-interactive-dev-session=false",
    ...Object.entries(options.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
  const child = spawnWrangler(args, options);
  // wrangler dev leads its own process group (so a stop takes workerd down too) and therefore
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
  const onData = (d: Buffer) => {
    const text = d.toString();
    output = (output + text).slice(-20_000);
    for (const line of text.split("\n")) if (line.trim()) options.onLine?.(line);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
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
