/**
 * A Sandbox's own network: one network namespace per Sandbox, with nothing
 * in it but a loopback interface, so code in a Sandbox reaches no port of the
 * host (the orchestrator's API and debugger, this host's API, the emulator,
 * other Sandboxes' servers) and no other Sandbox.
 *
 * What the run is meant to reach comes through **gateways**: the host binds
 * `127.0.0.1:<port>` *inside* the namespace and forwards each connection to
 * the same port on the host's loopback (the egress proxy). The Sandbox's own
 * ports reach the host the other way round: the host asks for a socket
 * connected inside the namespace (`connect`), used by `waitForPort` and the
 * host-side listener of `exposePort`.
 *
 * The namespace is a file (`unshare --net=<file>` bind-mounts it), so every
 * command of the Sandbox enters the same one with `nsenter --net=<file>`
 * (background servers of one command are reachable from the next) and it
 * outlives this process; sockets are made inside by a short-lived agent
 * (net-agent.cjs) and handed over, since Node cannot enter a namespace.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { access, mkdir, rm, writeFile } from "node:fs/promises";
import { connect, type Server, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { SandboxError } from "../../ports/sandbox.ts";
import { isMountPoint, unmount } from "./system.ts";

const run = promisify(execFile);
const AGENT = join(import.meta.dirname, "net-agent.cjs");
/** How long an agent with nothing to do stays: long enough for a burst of port probes. */
const AGENT_IDLE_MS = 15_000;

/** A port inside every Sandbox that leads to the same port on the host's loopback. */
export interface Gateway {
  port: number;
}

export interface NetnsTools {
  nsenter: string;
  unshare: string;
  /** `ip`, to bring the loopback interface up in a new namespace. */
  ip: string;
  nodeBinary: string;
}

/** The argv prefix that runs a command inside the namespace held by `file` (pure). */
export function enterPrefix(nsenter: string, file: string): string[] {
  return [nsenter, `--net=${file}`, "--"];
}

/** Finds the tools this needs on PATH, or says which is missing. */
export async function findNetnsTools(
  which: (program: string) => Promise<string | null>,
  nodeBinary: string,
): Promise<NetnsTools | { missing: string }> {
  const [nsenter, unshare, ip] = await Promise.all([which("nsenter"), which("unshare"), which("ip")]);
  if (!nsenter) return { missing: "nsenter (util-linux)" };
  if (!unshare) return { missing: "unshare (util-linux)" };
  if (!ip) return { missing: "ip (iproute2)" };
  return { nsenter, unshare, ip, nodeBinary };
}

interface Pending {
  resolve: (handle: Server | Socket) => void;
  reject: (error: Error) => void;
}

export class SandboxNetwork {
  private servers: Server[] = [];
  private readonly open = new Set<Socket>();
  private agent: ChildProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private starting: Promise<void> | null = null;
  private up = false;

  constructor(
    private readonly tools: NetnsTools,
    /** The file the namespace is bound to. */
    readonly file: string,
    private readonly gateways: readonly Gateway[],
  ) {}

  /** The argv prefix for a command of this Sandbox. */
  prefix(): string[] {
    return enterPrefix(this.tools.nsenter, this.file);
  }

  /** Makes the namespace if it is not there and opens the gateways; idempotent. */
  ready(): Promise<void> {
    if (this.up) return Promise.resolve();
    this.starting ??= this.start().then(
      () => {
        this.up = true;
        this.starting = null;
      },
      (error: unknown) => {
        this.starting = null;
        void this.close();
        throw new SandboxError("internal", `cannot set up the Sandbox's network: ${String(error)}`);
      },
    );
    return this.starting;
  }

  private async start(): Promise<void> {
    if (!(await isMountPoint(this.file))) {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(this.file, "");
      // The new namespace has only `lo`, and it is down until brought up.
      await run(this.tools.unshare, [`--net=${this.file}`, "--", this.tools.ip, "link", "set", "lo", "up"]);
    }
    for (const gateway of this.gateways) {
      const server = (await this.ask({ listen: gateway.port })) as Server;
      server.on("connection", (inside) => this.forwardToHost(inside, gateway.port));
      this.servers.push(server);
    }
  }

  /** One connection from inside the Sandbox to a gateway: piped to the host's loopback. */
  private forwardToHost(inside: Socket, port: number): void {
    const outside = connect({ host: "127.0.0.1", port });
    this.pipe(inside, outside);
  }

  private pipe(a: Socket, b: Socket): void {
    for (const s of [a, b]) {
      this.open.add(s);
      s.once("close", () => this.open.delete(s));
      s.on("error", () => {
        a.destroy();
        b.destroy();
      });
    }
    a.pipe(b);
    b.pipe(a);
  }

  /** A socket connected to `127.0.0.1:port` inside the Sandbox (rejects when nothing listens). */
  async connect(port: number): Promise<Socket> {
    await this.ready();
    return (await this.ask({ connect: port })) as Socket;
  }

  /** Pipes a host-side connection into the Sandbox's `port` (exposePort's listener). */
  async forwardInside(outside: Socket, port: number): Promise<void> {
    try {
      this.pipe(await this.connect(port), outside);
    } catch {
      outside.destroy();
    }
  }

  private ask(request: { listen: number } | { connect: number }): Promise<Server | Socket> {
    const agent = this.startAgent();
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      agent.send({ ...request, id }, (error) => {
        if (error) this.settle(id, new Error(`the network agent is gone: ${error.message}`));
      });
    });
  }

  private settle(id: number, outcome: Error | Server | Socket): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }

  private startAgent(): ChildProcess {
    if (this.agent && this.agent.exitCode === null && this.agent.connected) return this.agent;
    const agent = spawn(
      this.tools.nsenter,
      [`--net=${this.file}`, "--", this.tools.nodeBinary, AGENT, String(AGENT_IDLE_MS)],
      { stdio: ["ignore", "ignore", "ignore", "ipc"], env: {} },
    );
    agent.on("message", (message: { id: number; ok: boolean; error?: string }, handle) => {
      if (message.ok && handle) this.settle(message.id, handle as Server | Socket);
      else this.settle(message.id, new Error(message.error ?? "no handle"));
    });
    const gone = () => {
      if (this.agent === agent) this.agent = null;
      for (const id of [...this.pending.keys()]) this.settle(id, new Error("the network agent exited"));
    };
    agent.once("exit", gone);
    agent.once("error", gone);
    this.agent = agent;
    return agent;
  }

  /** Closes the gateways, open connections and the agent; the namespace stays. */
  async close(): Promise<void> {
    this.up = false;
    for (const server of this.servers) server.close();
    this.servers = [];
    for (const socket of this.open) socket.destroy();
    this.agent?.kill("SIGKILL");
    this.agent = null;
  }

  /** Closes everything and removes the namespace itself. */
  async remove(): Promise<void> {
    await this.close();
    if (await isMountPoint(this.file)) await unmount(this.file);
    await rm(this.file, { force: true });
  }
}

/** Whether this host can make network namespaces (a real one, made and removed at start-up). */
export async function probeNetns(tools: NetnsTools, scratch: string): Promise<{ refused: string } | null> {
  const file = join(scratch, `netns-probe-${process.pid}`);
  try {
    await mkdir(scratch, { recursive: true });
    await writeFile(file, "");
    await run(tools.unshare, [`--net=${file}`, "--", tools.ip, "link", "set", "lo", "up"]);
    await run(tools.nsenter, [`--net=${file}`, "--", tools.ip, "-o", "link", "show", "lo"]);
    return null;
  } catch (error) {
    return { refused: (error as Error).message.split("\n")[0] ?? String(error) };
  } finally {
    if (await isMountPoint(file).catch(() => false)) await unmount(file);
    await access(file).then(
      () => rm(file, { force: true }),
      () => undefined,
    );
  }
}
