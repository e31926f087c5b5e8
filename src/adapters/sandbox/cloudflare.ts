/**
 * The production adapter: the Sandbox port over `@cloudflare/sandbox`
 * (`getSandbox(env.Sandbox, name)`, wired in cloudflare-binding.ts). Mostly
 * translation: argv → one shell line, option names, result shapes, SDK error
 * codes → port codes (cloudflare-errors.ts). What the SDK lacks is added here:
 * - output cap: counted from streamed output; the command is aborted past it (cloudflare-exec.ts);
 * - snapshots: `createBackup`/`restoreBackup` of /workspace (squashfs in R2);
 *   the list (and pins) kept in an R2 bucket (cloudflare-snapshot-index.ts);
 * - idempotency keys: first answers stored in the same bucket (cloudflare-idempotency.ts);
 * - the snapshot marker: a file outside /workspace, cleared before this
 *   adapter's first mutating call and rewritten by snapshot/restore.
 * Containers cannot run here: it is verified by unit tests with a stub, and by the Sandbox
 * contract (test/ports/) against a stand-in container that passes the SDK's calls to a local
 * host Sandbox and answers in the SDK's shapes. Known gap: `status()` says `awake` after
 * `destroy()` (the port allows `absent`).
 */
import {
  type ExecOptions,
  type ExecResult,
  type FileEncoding,
  type Sandbox,
  SandboxError,
  type SandboxProvider,
  type SnapshotInfo,
  WORKSPACE_DIR,
  workspaceRelative,
} from "../../ports/sandbox.ts";
import { translateCloudflareError } from "./cloudflare-errors.ts";
import { execCapped } from "./cloudflare-exec.ts";
import { IdempotencyStore } from "./cloudflare-idempotency.ts";
import { type IndexBucket, SnapshotIndex } from "./cloudflare-snapshot-index.ts";
import { type CloudflareProcess, type CloudflareSandboxStub, toProcessInfo } from "./cloudflare-stub.ts";
import { toShellCommand } from "./shell.ts";

export interface CloudflareSandboxOptions {
  /** `(name) => getSandbox(env.Sandbox, name)` in production. */
  resolve(name: string): CloudflareSandboxStub;
  /** The Worker's hostname, needed by `exposePort` for preview URLs. */
  hostname: string;
  index: IndexBucket;
  keepSnapshots?: number;
  /** Backup lifetime in R2; pinned snapshots get `pinnedTtlSeconds`. */
  ttlSeconds?: number;
  pinnedTtlSeconds?: number;
  defaultTimeoutMs?: number;
  defaultMaxOutputBytes?: number;
  now?: () => Date;
}

export const MARKER_PATH = "/tmp/.nightshift-snapshot-id";

function absolute(path: string): string {
  const rel = workspaceRelative(path);
  return rel ? `${WORKSPACE_DIR}/${rel}` : WORKSPACE_DIR;
}

async function cf<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateCloudflareError(error);
  }
}

const b64ToUtf8 = (b64: string) =>
  new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
const utf8ToB64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

class CloudflareSandbox implements Sandbox {
  private markerCleared = false;

  constructor(
    readonly name: string,
    private readonly stub: CloudflareSandboxStub,
    private readonly index: SnapshotIndex,
    private readonly idempotency: IdempotencyStore,
    private readonly o: Required<Omit<CloudflareSandboxOptions, "resolve" | "index">>,
  ) {}

  /** Any change may leave /workspace different from the last snapshot: drop the marker first. */
  private async mutating<T>(op: string, key: string | undefined, fn: () => Promise<T>): Promise<T> {
    return this.idempotency.once(this.name, op, key, async () => {
      if (!this.markerCleared) {
        await cf(() => this.stub.exec(`rm -f ${MARKER_PATH}`));
        this.markerCleared = true;
      }
      return cf(fn);
    });
  }

  exec(command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.mutating("exec", options.idempotencyKey, () =>
      execCapped(this.stub, toShellCommand(command), {
        timeout: options.timeoutMs ?? this.o.defaultTimeoutMs,
        cwd: absolute(options.cwd ?? WORKSPACE_DIR),
        env: options.env,
        cap: options.maxOutputBytes ?? this.o.defaultMaxOutputBytes,
        onOutput: options.onOutput,
      }),
    );
  }

  async writeFile(
    path: string,
    content: string,
    options: { encoding?: FileEncoding; idempotencyKey?: string } = {},
  ) {
    await this.mutating("write", options.idempotencyKey, () =>
      this.stub.writeFile(
        absolute(path),
        content,
        options.encoding === "base64" ? { encoding: "base64" } : {},
      ),
    );
  }

  async readFile(path: string, options: { encoding?: FileEncoding } = {}) {
    const want = options.encoding ?? "utf8";
    const result = await cf(() =>
      this.stub.readFile(absolute(path), want === "base64" ? { encoding: "base64" } : { encoding: "utf-8" }),
    );
    const got = result.encoding === "base64" ? "base64" : "utf8";
    if (got === want) return result.content;
    return want === "utf8" ? b64ToUtf8(result.content) : utf8ToB64(result.content);
  }

  async listFiles(path: string, options: { recursive?: boolean } = {}) {
    const result = await cf(() =>
      this.stub.listFiles(absolute(path), { recursive: options.recursive ?? false, includeHidden: true }),
    );
    return result.files
      .map((f) => ({ path: f.absolutePath, type: f.type, size: f.size, modifiedAt: f.modifiedAt }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  async deleteFile(path: string, options: { recursive?: boolean; idempotencyKey?: string } = {}) {
    const target = absolute(path);
    if (target === WORKSPACE_DIR) throw new SandboxError("invalid", "refusing to delete /workspace itself");
    await this.mutating("delete", options.idempotencyKey, async () => {
      if (!options.recursive) return this.stub.deleteFile(target);
      const result = await this.stub.exec(toShellCommand(["rm", "-rf", "--", target]));
      if (result.exitCode !== 0) throw new SandboxError("internal", result.stderr);
    });
  }

  startProcess(
    command: string | readonly string[],
    options: { processId?: string; cwd?: string; env?: Record<string, string>; idempotencyKey?: string } = {},
  ) {
    return this.mutating("start", options.idempotencyKey, async () =>
      toProcessInfo(
        await this.stub.startProcess(toShellCommand(command), {
          cwd: absolute(options.cwd ?? WORKSPACE_DIR),
          ...(options.processId ? { processId: options.processId } : {}),
          ...(options.env ? { env: options.env } : {}),
        }),
      ),
    );
  }

  private async process(id: string): Promise<CloudflareProcess> {
    const proc = await cf(() => this.stub.getProcess(id));
    if (!proc) throw new SandboxError("not_found", `no process ${id} in Sandbox ${this.name}`);
    return proc;
  }

  async getProcess(id: string) {
    return toProcessInfo(await this.process(id));
  }

  async listProcesses() {
    return (await cf(() => this.stub.listProcesses())).map(toProcessInfo);
  }

  async getProcessLogs(id: string) {
    const logs = await cf(() => this.stub.getProcessLogs(id));
    return { stdout: logs.stdout, stderr: logs.stderr, truncated: false };
  }

  async waitForPort(
    id: string,
    port: number,
    options: { mode?: "http" | "tcp"; path?: string; timeoutMs?: number } = {},
  ) {
    const proc = await this.process(id);
    await cf(() =>
      proc.waitForPort(port, {
        ...(options.mode ? { mode: options.mode } : {}),
        ...(options.path ? { path: options.path } : {}),
        timeout: options.timeoutMs ?? this.o.defaultTimeoutMs,
      }),
    );
  }

  async waitForLog(id: string, pattern: string | RegExp, options: { timeoutMs?: number } = {}) {
    const proc = await this.process(id);
    const { line } = await cf(() => proc.waitForLog(pattern, options.timeoutMs ?? this.o.defaultTimeoutMs));
    return { line };
  }

  async killProcess(id: string) {
    await cf(() => this.stub.killProcess(id));
  }

  exposePort(port: number, options: { idempotencyKey?: string } = {}) {
    return this.idempotency.once(this.name, "expose", options.idempotencyKey, async () => {
      const { url } = await cf(() => this.stub.exposePort(port, { hostname: this.o.hostname }));
      return { port, url };
    });
  }

  snapshot(options: { name?: string; pin?: boolean; idempotencyKey?: string } = {}) {
    return this.idempotency.once(this.name, "snapshot", options.idempotencyKey, async () => {
      const backup = await cf(() =>
        this.stub.createBackup({
          dir: WORKSPACE_DIR,
          ...(options.name ? { name: options.name } : {}),
          ttl: options.pin ? this.o.pinnedTtlSeconds : this.o.ttlSeconds,
        }),
      );
      const info: SnapshotInfo = {
        id: backup.id,
        sandbox: this.name,
        name: options.name ?? null,
        createdAt: this.o.now().toISOString(),
        pinned: options.pin ?? false,
        sizeBytes: null,
      };
      await this.index.put(info);
      await this.writeMarker(backup.id);
      await this.index.collect(this.name, this.o.keepSnapshots);
      return info;
    });
  }

  async restore(snapshotId: string) {
    if (!(await this.index.get(snapshotId))) throw new SandboxError("not_found", `no snapshot ${snapshotId}`);
    await cf(() => this.stub.restoreBackup({ id: snapshotId, dir: WORKSPACE_DIR }));
    await this.writeMarker(snapshotId);
  }

  private async writeMarker(id: string): Promise<void> {
    await cf(() => this.stub.writeFile(MARKER_PATH, id));
    this.markerCleared = false;
  }

  async listSnapshots() {
    return (await this.index.all()).filter((s) => s.sandbox === this.name);
  }

  async status() {
    const marker = await this.stub.readFile(MARKER_PATH).then(
      (r) => r.content.trim() || null,
      () => null,
    );
    const running = (await cf(() => this.stub.listProcesses())).filter(
      (p) => toProcessInfo(p).status === "running",
    );
    return {
      name: this.name,
      state: "awake" as const,
      snapshotId: marker,
      processes: running.length,
      diskUsageBytes: null,
    };
  }

  async destroy() {
    await cf(() => this.stub.destroy());
  }
}

export function createCloudflareSandboxProvider(options: CloudflareSandboxOptions): SandboxProvider {
  const index = new SnapshotIndex(options.index);
  const idempotency = new IdempotencyStore(options.index);
  const o = {
    hostname: options.hostname,
    keepSnapshots: options.keepSnapshots ?? 10,
    ttlSeconds: options.ttlSeconds ?? 7 * 24 * 3600,
    pinnedTtlSeconds: options.pinnedTtlSeconds ?? 90 * 24 * 3600,
    defaultTimeoutMs: options.defaultTimeoutMs ?? 10 * 60_000,
    defaultMaxOutputBytes: options.defaultMaxOutputBytes ?? 16 << 20,
    now: options.now ?? (() => new Date()),
  };
  return {
    get: (name) => new CloudflareSandbox(name, options.resolve(name), index, idempotency, o),
    async listSnapshots(filter = {}) {
      return (await index.all()).filter((s) => !filter.sandbox || s.sandbox === filter.sandbox);
    },
    async pinSnapshot(id, pinned) {
      const info = await index.get(id);
      if (!info) throw new SandboxError("not_found", `no snapshot ${id}`);
      // The backup's TTL was fixed at creation: pinning keeps the index entry, not the R2 object.
      await index.put({ ...info, pinned });
    },
  };
}
