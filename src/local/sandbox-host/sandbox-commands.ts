/**
 * The commands of one hosted Sandbox: run to completion (`exec`) or in the
 * background (processes), each confined by bubblewrap in the Sandbox's own
 * network and under its limits (limits-host.ts), and killed when the disk
 * quota is passed while they run.
 */
import {
  type ExecResult,
  type ProcessInfo,
  SandboxError,
  WORKSPACE_DIR,
  workspaceRelative,
} from "../../ports/sandbox.ts";
import type { ExecRequest, StartProcessRequest, WaitForPortRequest } from "../../ports/sandbox-wire.ts";
import { displayCommand, type SandboxMounts, sandboxEnv, toArgv } from "./bwrap-args.ts";
import { newId } from "./layers.ts";
import type { SandboxLimiter } from "./sandbox-limiter.ts";
import { oomMessage } from "./limits.ts";
import type { SandboxNetwork } from "./netns.ts";
import { BackgroundProcess, dialHostLoopback } from "./processes.ts";
import { runToCompletion, spawnConfined } from "./runner.ts";
import type { SandboxRuntime } from "./sandbox-runtime.ts";

export class SandboxCommands {
  private readonly processes = new Map<string, BackgroundProcess>();
  private readonly runningExecs = new Set<(reason: SandboxError) => void>();

  constructor(
    private readonly rt: SandboxRuntime,
    private readonly name: string,
    private readonly net: SandboxNetwork | null,
    private readonly limiter: SandboxLimiter | null,
    private readonly mounts: () => SandboxMounts,
    /** Called after the quota watch killed the commands: the workspace is measured again. */
    private readonly onQuotaKill: () => void,
  ) {}

  /** Starts a command in this Sandbox: in its own network namespace when it has one. */
  private async spawn(req: {
    command: string | readonly string[];
    cwd?: string | undefined;
    env?: Record<string, string> | undefined;
  }) {
    await this.net?.ready();
    // ---- resource limits (limits.ts): /home + /tmp mounted, the cgroup joined before bwrap starts.
    await this.limiter?.mountScratch();
    const limits = (await this.limiter?.prefix()) ?? [];
    const child = spawnConfined(
      this.rt.isolation,
      this.mounts(),
      {
        argv: toArgv(req.command),
        cwd: this.insidePath(req.cwd),
        env: sandboxEnv({ ...this.rt.baseEnv, ...req.env }),
      },
      this.net?.prefix() ?? [],
      limits,
    );
    this.watchDisk();
    return child;
  }

  /** While commands run, the bytes they add to the workspace are watched; past the quota, they are killed. */
  private watchDisk(): void {
    const d = this.rt.store.dirs(this.name);
    this.limiter?.watch(
      this.rt.store.mode === "overlay" ? d.upper : d.ws,
      () => this.runningExecs.size > 0 || [...this.processes.values()].some((p) => p.running),
      (message) => {
        for (const abort of this.runningExecs) abort(new SandboxError("quota_exceeded", message));
        for (const p of this.processes.values()) void p.kill();
        this.onQuotaKill();
      },
    );
  }

  /** A command that failed after the OOM killer ended one of its processes fails as `killed`. */
  private async memoryVerdict(result: ExecResult, oomBefore: number): Promise<ExecResult> {
    const limiter = this.limiter;
    if (!limiter || limiter.memoryBytes === null || result.exitCode === 0) return result;
    if ((await limiter.oomKills()) <= oomBefore) return result;
    throw new SandboxError("killed", oomMessage(limiter.memoryBytes, result.exitCode));
  }

  async exec(
    req: ExecRequest,
    onOutput?: (stream: "stdout" | "stderr", data: string) => void,
  ): Promise<ExecResult> {
    const oomBefore = (await this.limiter?.oomKills()) ?? 0;
    const child = await this.spawn(req);
    const { result, abort } = runToCompletion(child, {
      timeoutMs: Math.min(req.timeoutMs ?? this.rt.limits.timeoutMs, this.rt.limits.maxTimeoutMs),
      maxOutputBytes: Math.min(
        req.maxOutputBytes ?? this.rt.limits.maxOutputBytes,
        this.rt.limits.maxOutputBytes,
      ),
      ...(onOutput ? { onOutput } : {}),
    });
    this.runningExecs.add(abort);
    try {
      return await this.memoryVerdict(await result, oomBefore);
    } finally {
      this.runningExecs.delete(abort);
    }
  }

  private insidePath(cwd: string | undefined): string {
    const rel = workspaceRelative(cwd ?? WORKSPACE_DIR);
    return rel ? `${WORKSPACE_DIR}/${rel}` : WORKSPACE_DIR;
  }

  async start(req: StartProcessRequest): Promise<ProcessInfo> {
    const id = req.processId ?? newId("p");
    if (this.processes.get(id)?.running) throw new SandboxError("conflict", `process ${id} is running`);
    const child = await this.spawn(req);
    const proc = new BackgroundProcess(id, displayCommand(req.command), child);
    this.processes.set(id, proc);
    return proc.info();
  }

  process(id: string): BackgroundProcess {
    const proc = this.processes.get(id);
    if (!proc) throw new SandboxError("not_found", `no process ${id} in Sandbox ${this.name}`);
    return proc;
  }

  list(): ProcessInfo[] {
    return [...this.processes.values()].map((p) => p.info());
  }

  /** How many background processes still run. */
  get running(): number {
    return [...this.processes.values()].filter((p) => p.running).length;
  }

  waitForPort(id: string, req: WaitForPortRequest): Promise<void> {
    const net = this.net;
    return this.process(id).waitForPort({
      port: req.port,
      mode: req.mode ?? "http",
      path: req.path ?? "/",
      timeoutMs: Math.min(req.timeoutMs ?? this.rt.limits.timeoutMs, this.rt.limits.maxTimeoutMs),
      dial: net ? (port) => net.connect(port) : dialHostLoopback,
    });
  }

  async stopAll(reason: string): Promise<void> {
    for (const abort of this.runningExecs) abort(new SandboxError("killed", `command killed: ${reason}`));
    await Promise.all([...this.processes.values()].map((p) => p.kill()));
  }
}
