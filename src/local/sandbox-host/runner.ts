/**
 * Spawning commands inside a Sandbox, and running one to completion under its
 * limits (wall time, output bytes). Background processes use `spawnConfined`
 * directly and keep their output in ring buffers (see processes.ts).
 *
 * Killing: every command is its own bwrap with `--die-with-parent` and a new
 * PID namespace, so SIGKILL to bwrap takes the whole tree down. In unsafe mode
 * (no bwrap) the command leads its own process group and the group is killed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join, posix } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { type ExecResult, SandboxError, WORKSPACE_DIR } from "../../ports/sandbox.ts";
import {
  buildBwrapArgs,
  type CommandSpec,
  type NetworkPolicy,
  type ReadOnlyBind,
  SANDBOX_HOME,
  type SandboxMounts,
} from "./bwrap-args.ts";

export type Isolation =
  | {
      kind: "bwrap";
      bwrap: string;
      nodeBinary: string;
      network: NetworkPolicy;
      /** Host directories every command sees read-only (job sources, deploy tools). */
      readOnlyBinds?: readonly ReadOnlyBind[];
    }
  | { kind: "unsafe"; nodeBinary: string };

/** Maps a Sandbox path to the host path an unsafe (unconfined) command must use instead. */
function unsafeHostPath(mounts: SandboxMounts, inside: string): string {
  const p = posix.normalize(inside);
  for (const [prefix, host] of [
    [WORKSPACE_DIR, mounts.workspace],
    [SANDBOX_HOME, mounts.home],
    ["/tmp", mounts.tmp],
  ] as const) {
    if (p === prefix || p.startsWith(`${prefix}/`)) return join(host, p.slice(prefix.length));
  }
  return mounts.workspace;
}

/**
 * Starts one command of a Sandbox. `enter` is the argv that puts bwrap into the Sandbox's own
 * network namespace (`nsenter --net=… --`, see netns.ts); nsenter execs bwrap in place, so the
 * child's pid is bwrap's and killing it still takes the whole tree down.
 */
export function spawnConfined(
  isolation: Isolation,
  mounts: SandboxMounts,
  command: CommandSpec,
  enter: readonly string[] = [],
  // ---- resource limits (limits.ts): the cgroup + fsize prefix runs first, then nsenter, then bwrap.
  limits: readonly string[] = [],
): ChildProcess {
  if (isolation.kind === "bwrap") {
    const args = buildBwrapArgs({
      nodeBinary: isolation.nodeBinary,
      mounts,
      command,
      ...(isolation.readOnlyBinds ? { readOnlyBinds: isolation.readOnlyBinds } : {}),
    });
    const [program, ...rest] = [...limits, ...enter, isolation.bwrap, ...args];
    return spawn(program!, rest, { stdio: ["ignore", "pipe", "pipe"], env: {} });
  }
  const [program, ...rest] = [...limits, ...command.argv];
  const env = {
    ...command.env,
    HOME: mounts.home,
    TMPDIR: mounts.tmp,
    PATH: `${posix.dirname(isolation.nodeBinary)}:${command.env.PATH ?? "/usr/bin:/bin"}`,
  };
  return spawn(program!, rest, {
    cwd: unsafeHostPath(mounts, command.cwd),
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
}

/** SIGKILL the command and everything under it. */
export function killTree(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    // Unsafe-mode children lead their own group; bwrap children take their namespace down.
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

export interface RunLimits {
  timeoutMs: number;
  maxOutputBytes: number;
  onOutput?: (stream: "stdout" | "stderr", data: string) => void;
}

/**
 * Collects a command's output until it exits. Resolves with the exit code as a
 * value; rejects with `timeout`, `output_limit`, or `killed` (when `abort` is
 * called, e.g. by destroy) — each after the command tree is dead.
 */
export function runToCompletion(
  child: ChildProcess,
  limits: RunLimits,
): { result: Promise<ExecResult>; abort: (reason: SandboxError) => void } {
  const started = performance.now();
  let failure: SandboxError | null = null;
  const abort = (reason: SandboxError) => {
    failure ??= reason;
    killTree(child);
  };
  const result = new Promise<ExecResult>((resolve, reject) => {
    const out = { stdout: "", stderr: "" };
    let bytes = 0;
    const collect = (stream: "stdout" | "stderr") => {
      const decoder = new StringDecoder("utf8");
      child[stream]?.on("data", (chunk: Buffer) => {
        if (failure) return;
        bytes += chunk.length;
        if (bytes > limits.maxOutputBytes) {
          abort(new SandboxError("output_limit", `output exceeded ${limits.maxOutputBytes} bytes`));
          return;
        }
        const text = decoder.write(chunk);
        out[stream] += text;
        if (text) limits.onOutput?.(stream, text);
      });
    };
    collect("stdout");
    collect("stderr");
    const timer = setTimeout(
      () => abort(new SandboxError("timeout", `command exceeded ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(failure ?? new SandboxError("internal", `cannot start command: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (failure) return reject(failure);
      const durationMs = Math.round(performance.now() - started);
      // A signal death outside our control (OOM killer, the command killing itself) is still a value.
      resolve({
        exitCode: code ?? 128 + signalNumber(signal),
        stdout: out.stdout,
        stderr: out.stderr,
        durationMs,
      });
    });
  });
  return { result, abort };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGSEGV: 11 };
  return (signal && table[signal]) ?? 1;
}
