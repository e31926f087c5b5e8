/**
 * Background processes of one Sandbox: their output in ring buffers, their
 * status, and readiness waits (by log line, by port). Readiness by port dials
 * 127.0.0.1:<port> *inside* the Sandbox's network (`Dial`, see netns.ts), or
 * on the host's loopback with the `host` network policy.
 */
import type { ChildProcess } from "node:child_process";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { StringDecoder } from "node:string_decoder";
import { type ProcessInfo, type ProcessLogs, SandboxError } from "../../ports/sandbox.ts";
import { LineSplitter, RingBuffer } from "./ring-buffer.ts";
import { killTree } from "./runner.ts";

const LOG_CAP_CHARS = 1 << 20;
const POLL_MS = 100;

/** Opens a TCP connection to a port of the Sandbox; rejects when nothing listens there. */
export type Dial = (port: number) => Promise<Socket>;

/** Dialing on the host's own loopback (the `host` network policy, unconfined commands). */
export const dialHostLoopback: Dial = (port) =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });

type Waiter = { test: (line: string) => boolean; resolve: (line: string) => void };

export class BackgroundProcess {
  readonly startedAt = new Date().toISOString();
  status: ProcessInfo["status"] = "running";
  exitCode: number | null = null;
  private readonly logs = { stdout: new RingBuffer(LOG_CAP_CHARS), stderr: new RingBuffer(LOG_CAP_CHARS) };
  private readonly lines: string[] = [];
  private waiters: Waiter[] = [];
  private exitListeners: (() => void)[] = [];
  private killRequested = false;

  constructor(
    readonly id: string,
    readonly command: string,
    private readonly child: ChildProcess,
  ) {
    for (const stream of ["stdout", "stderr"] as const) {
      const decoder = new StringDecoder("utf8");
      const splitter = new LineSplitter();
      child[stream]?.on("data", (chunk: Buffer) => {
        const text = decoder.write(chunk);
        this.logs[stream].push(text);
        for (const line of splitter.push(text)) this.onLine(line);
      });
      child[stream]?.on("end", () => {
        for (const line of splitter.flush()) this.onLine(line);
      });
    }
    child.on("close", (code) => {
      this.exitCode = code;
      this.status = this.killRequested ? "killed" : code === 0 ? "completed" : "failed";
      for (const listener of this.exitListeners) listener();
      this.exitListeners = [];
    });
    child.on("error", () => {
      this.status = "failed";
    });
  }

  get running(): boolean {
    return this.status === "running";
  }

  info(): ProcessInfo {
    return {
      id: this.id,
      command: this.command,
      status: this.status,
      exitCode: this.exitCode,
      startedAt: this.startedAt,
    };
  }

  getLogs(): ProcessLogs {
    return {
      stdout: this.logs.stdout.text(),
      stderr: this.logs.stderr.text(),
      truncated: this.logs.stdout.truncated || this.logs.stderr.truncated,
    };
  }

  /** Kills the process tree and resolves once it is gone. */
  kill(): Promise<void> {
    if (!this.running) return Promise.resolve();
    this.killRequested = true;
    const gone = this.exited();
    killTree(this.child);
    return gone;
  }

  private exited(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.exitListeners.push(resolve));
  }

  private onLine(line: string): void {
    // Lines seen are kept (bounded) so a wait that starts late still finds them.
    this.lines.push(line);
    if (this.lines.length > 10_000) this.lines.splice(0, this.lines.length - 10_000);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  waitForLog(test: (line: string) => boolean, timeoutMs: number): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return this.raceExit(
      new Promise<string>((resolve) => this.waiters.push({ test, resolve })),
      timeoutMs,
      "log line",
    );
  }

  async waitForPort(opts: {
    port: number;
    mode: "http" | "tcp";
    path: string;
    timeoutMs: number;
    dial: Dial;
  }): Promise<void> {
    let stop = false;
    const poll = async () => {
      while (!stop) {
        if (await probePort(opts)) return;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };
    try {
      await this.raceExit(poll(), opts.timeoutMs, `port ${opts.port}`);
    } finally {
      stop = true;
    }
  }

  /** Settles with `work`, or rejects with `timeout`, or `killed` when the process exits first. */
  private raceExit<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SandboxError("timeout", `process ${this.id}: no ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onExit = () =>
        reject(new SandboxError("killed", `process ${this.id} exited (${this.status}) before its ${what}`));
      if (!this.running) onExit();
      else this.exitListeners.push(onExit);
      work.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }
}

async function probePort(opts: {
  port: number;
  mode: "http" | "tcp";
  path: string;
  dial: Dial;
}): Promise<boolean> {
  let socket: Socket;
  try {
    socket = await opts.dial(opts.port);
  } catch {
    return false;
  }
  if (opts.mode === "tcp") {
    socket.destroy();
    return true;
  }
  return new Promise((resolve) => {
    const req = request(
      { host: "127.0.0.1", port: opts.port, path: opts.path, createConnection: () => socket, timeout: 2000 },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        socket.destroy();
        resolve(status >= 200 && status < 400);
      },
    );
    req.once("timeout", () => req.destroy());
    req.once("error", () => {
      socket.destroy();
      resolve(false);
    });
    req.end();
  });
}
