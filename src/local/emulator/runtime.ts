/**
 * Hosting uploaded Workers for real: one Miniflare (one workerd process) per
 * deployed script. A new version is started before it takes traffic, so a
 * script that fails to start is refused at upload time (Cloudflare's 10021)
 * and the running version keeps serving. Promoting a version disposes the old
 * Miniflare. After an emulator restart, scripts start lazily on first request.
 *
 * Idle Workers do not keep a process: one that has served no request for
 * `idleMs` is disposed and started again, lazily, by the next request (which
 * waits for that disposal to finish rather than race it). Previews of runs parked at a gate are idle for hours; without
 * this each kept a workerd (about 60 MB) until its account expired.
 * There is no cap on running Workers: every running one is in use (a request
 * or a deploy within `idleMs`), so evicting one only to start it again on its
 * next probe would trade memory for a second of CPU per eviction.
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

/** A running Worker and its use: requests in flight, and when it last served one. */
interface Slot {
  worker: RunningWorker;
  lastUsedAt: number;
  inflight: number;
}

export interface WorkerHostOptions {
  /** Dispose a Worker after this long without a request; default 60 s. `Infinity` keeps them. */
  idleMs?: number;
  now?: () => number;
}

export type Lease = { ok: true; worker: RunningWorker; release(): void } | { ok: false; error: string };

export const DEFAULT_IDLE_MS = 60_000;

export class WorkerHost {
  private readonly active = new Map<string, Slot>();
  /** started, validated versions waiting for a deployment to point at them */
  private readonly pending = new Map<string, Slot>();
  private readonly starting = new Map<string, Promise<StartResult>>();
  /** disposals in progress, by script: a restart of the script waits for its own */
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | undefined;
  /** starts under way (uploads and lazy starts), awaited by stopAll */
  private readonly inflight = new Set<Promise<StartResult>>();
  private closed = false;

  constructor(options: WorkerHostOptions = {}) {
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.now = options.now ?? (() => performance.now());
    if (Number.isFinite(this.idleMs)) {
      const every = Math.max(20, Math.min(this.idleMs / 2, 10_000));
      this.timer = setInterval(() => this.disposeIdle(), every);
      this.timer.unref();
    }
  }

  /** Starts a version in its own Miniflare; resolves once it answers or failed to start. */
  start(spec: HostSpec): Promise<StartResult> {
    const started = this.startNow(spec).then(async (result) => {
      // Stopped meanwhile: a Worker that came up after stopAll would outlive the emulator.
      if (!this.closed || !result.ok) return result;
      await disposeQuietly(result.worker.mf);
      return { ok: false, error: "the emulator is stopping" } satisfies StartResult;
    });
    this.inflight.add(started);
    void started.finally(() => this.inflight.delete(started));
    return started;
  }

  private async startNow(spec: HostSpec): Promise<StartResult> {
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

  private slot(worker: RunningWorker): Slot {
    return { worker, lastUsedAt: this.now(), inflight: 0 };
  }

  /** Disposes `worker` of `key` in the background, recorded so a restart of `key` waits for it. */
  private retire(key: string, worker: RunningWorker): Promise<void> {
    const before = this.stopping.get(key);
    const done = Promise.all([before, disposeQuietly(worker.mf)]).then(() => {
      if (this.stopping.get(key) === done) this.stopping.delete(key);
    });
    this.stopping.set(key, done);
    return done;
  }

  /** Keeps a started version until a deployment promotes it (replacing an older pending one of the same script). */
  async hold(key: string, worker: RunningWorker): Promise<void> {
    if (this.closed) return this.retire(key, worker);
    const previous = this.pending.get(key);
    this.pending.set(key, this.slot(worker));
    if (previous && previous.worker !== worker) await this.retire(key, previous.worker);
  }

  /** Makes `worker` serve `key`, disposing whatever served it before. */
  async activate(key: string, worker: RunningWorker): Promise<void> {
    if (this.closed) return this.retire(key, worker);
    const previous = this.active.get(key);
    this.active.set(key, this.slot(worker));
    if (this.pending.get(key)?.worker === worker) this.pending.delete(key);
    if (previous && previous.worker !== worker) await this.retire(key, previous.worker);
  }

  /** Promotes the held version `versionId` of `key`, if it is the one held. */
  async promote(key: string, versionId: string): Promise<boolean> {
    const held = this.pending.get(key);
    if (!held || held.worker.versionId !== versionId) return false;
    await this.activate(key, held.worker);
    return true;
  }

  /**
   * The running Worker for `key` at `versionId`, starting it from `spec()` if
   * it is not running (first request after a restart or an idle disposal, or
   * after a deploy that pointed at a version that was not held).
   */
  async ensure(key: string, versionId: string, spec: () => HostSpec): Promise<StartResult> {
    const current = this.active.get(key);
    if (current?.worker.versionId === versionId) {
      current.lastUsedAt = this.now();
      return { ok: true, worker: current.worker };
    }
    const inflight = this.starting.get(key);
    if (inflight) return inflight;
    const promise = (async (): Promise<StartResult> => {
      await this.stopping.get(key);
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

  /**
   * `ensure` for one request: the Worker is not disposed as idle until `release()`
   * (call it when the answer has been sent).
   */
  async lease(key: string, versionId: string, spec: () => HostSpec): Promise<Lease> {
    for (;;) {
      const result = await this.ensure(key, versionId, spec);
      if (!result.ok) return result;
      const slot = this.active.get(key);
      // Replaced or disposed between its start and now (a deploy, or an idle period shorter
      // than a start): ask again rather than send the request to a stopped runtime.
      if (slot?.worker !== result.worker) continue;
      slot.inflight++;
      let released = false;
      return {
        ok: true,
        worker: result.worker,
        release: () => {
          if (released) return;
          released = true;
          slot.inflight--;
          slot.lastUsedAt = this.now();
        },
      };
    }
  }

  /** Disposes every Worker (serving or held) without a request in flight for `idleMs`. */
  disposeIdle(): void {
    const cutoff = this.now() - this.idleMs;
    for (const map of [this.active, this.pending]) {
      for (const [key, slot] of map) {
        if (slot.inflight > 0 || slot.lastUsedAt > cutoff) continue;
        map.delete(key);
        void this.retire(key, slot.worker);
      }
    }
  }

  async stop(key: string): Promise<void> {
    const running = this.active.get(key);
    const held = this.pending.get(key);
    this.active.delete(key);
    this.pending.delete(key);
    if (running) await this.retire(key, running.worker);
    if (held) await this.retire(key, held.worker);
    await this.stopping.get(key);
  }

  /** Stops every Worker, including those still starting; nothing starts afterwards. */
  async stopAll(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.inflight]);
    const all = [...this.active.entries(), ...this.pending.entries()];
    this.active.clear();
    this.pending.clear();
    for (const [key, slot] of all) void this.retire(key, slot.worker);
    await Promise.all([...this.stopping.values()]);
  }

  /** Running workerd processes: the serving Workers and the held versions. */
  get runningCount(): number {
    return this.active.size + this.pending.size;
  }
}
