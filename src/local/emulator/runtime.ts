/**
 * Hosting uploaded Workers for real: one Miniflare (one workerd process) per
 * deployed script. A new version is started before it takes traffic, so a
 * script that fails to start is refused at upload time (Cloudflare's 10021)
 * and the running version keeps serving. Promoting a version disposes the old
 * Miniflare. After an emulator restart, scripts start lazily on first request.
 */
import { Miniflare } from "miniflare";
import { buildMiniflareOptions, type HostSpec } from "./miniflare-options.ts";

export interface RunningWorker {
  versionId: string;
  url: URL;
  startupMs: number;
  mf: Miniflare;
}

export type StartResult = { ok: true; worker: RunningWorker } | { ok: false; error: string };

/** Shortens Miniflare's startup failure to the part a user needs (the runtime's own stderr). */
export function startupErrorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const stderr = text.split("Runtime stderr:")[1];
  const useful = (stderr ?? text)
    .split("\n")
    .filter((line) => line.trim() && !line.startsWith("stack:") && !line.includes("workerd/"))
    .join("\n")
    .trim();
  return (useful || text).slice(0, 2000);
}

async function disposeQuietly(mf: Miniflare): Promise<void> {
  try {
    await mf.dispose();
  } catch {
    // dispose rethrows a failed start; the failure was already reported
  }
}

export class WorkerHost {
  private readonly active = new Map<string, RunningWorker>();
  /** started, validated versions waiting for a deployment to point at them */
  private readonly pending = new Map<string, RunningWorker>();
  private readonly starting = new Map<string, Promise<StartResult>>();

  /** Starts a version in its own Miniflare; resolves once it answers or failed to start. */
  async start(spec: HostSpec): Promise<StartResult> {
    const built = buildMiniflareOptions(spec);
    if (!built.ok) return built;
    const began = performance.now();
    let mf: Miniflare;
    try {
      mf = new Miniflare(built.options);
    } catch (error) {
      return { ok: false, error: startupErrorMessage(error) };
    }
    try {
      const url = await mf.ready;
      return {
        ok: true,
        worker: { versionId: spec.versionId, url, mf, startupMs: Math.round(performance.now() - began) },
      };
    } catch (error) {
      await disposeQuietly(mf);
      return { ok: false, error: startupErrorMessage(error) };
    }
  }

  /** Keeps a started version until a deployment promotes it (replacing an older pending one of the same script). */
  async hold(key: string, worker: RunningWorker): Promise<void> {
    const previous = this.pending.get(key);
    this.pending.set(key, worker);
    if (previous && previous !== worker) await disposeQuietly(previous.mf);
  }

  /** Makes `worker` serve `key`, disposing whatever served it before. */
  async activate(key: string, worker: RunningWorker): Promise<void> {
    const previous = this.active.get(key);
    this.active.set(key, worker);
    if (this.pending.get(key) === worker) this.pending.delete(key);
    if (previous && previous !== worker) await disposeQuietly(previous.mf);
  }

  /** Promotes the held version `versionId` of `key`, if it is the one held. */
  async promote(key: string, versionId: string): Promise<boolean> {
    const held = this.pending.get(key);
    if (!held || held.versionId !== versionId) return false;
    await this.activate(key, held);
    return true;
  }

  /**
   * The running Worker for `key` at `versionId`, starting it from `spec()` if
   * it is not running (first request after a restart, or after a deploy that
   * pointed at a version that was not held).
   */
  async ensure(key: string, versionId: string, spec: () => HostSpec): Promise<StartResult> {
    const current = this.active.get(key);
    if (current?.versionId === versionId) return { ok: true, worker: current };
    const inflight = this.starting.get(key);
    if (inflight) return inflight;
    const promise = (async (): Promise<StartResult> => {
      const result = await this.start(spec());
      if (result.ok) await this.activate(key, result.worker);
      return result;
    })();
    this.starting.set(key, promise);
    try {
      return await promise;
    } finally {
      this.starting.delete(key);
    }
  }

  async stop(key: string): Promise<void> {
    const running = this.active.get(key);
    const held = this.pending.get(key);
    this.active.delete(key);
    this.pending.delete(key);
    if (running) await disposeQuietly(running.mf);
    if (held) await disposeQuietly(held.mf);
  }

  async stopAll(): Promise<void> {
    const all = [...this.active.values(), ...this.pending.values()];
    this.active.clear();
    this.pending.clear();
    await Promise.all(all.map((w) => disposeQuietly(w.mf)));
  }

  get runningCount(): number {
    return this.active.size;
  }
}
