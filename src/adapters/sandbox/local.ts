/**
 * The local adapter: the Sandbox port over HTTP to the local Sandbox host
 * (src/local/sandbox-host). Plain `fetch` only, so it runs in Node and inside
 * the Worker alike. Responses are parsed with the port's zod schemas; error
 * bodies become `SandboxError`s with the host's code; a host that cannot be
 * reached is `unavailable` and a connection dropped mid-call `interrupted`.
 *
 * @example
 * const sandboxes = createLocalSandboxProvider({ url: "http://127.0.0.1:8789", secret: env.SANDBOX_HOST_SECRET });
 * const box = sandboxes.get("run-42");
 * const { exitCode } = await box.exec(["npm", "ci"], { timeoutMs: 120_000 });
 */
import { z } from "zod";
import {
  ErrorBodySchema,
  type ExecOptions,
  ExecResultSchema,
  ExposedPortSchema,
  ProcessInfoSchema,
  ProcessLogsSchema,
  type Sandbox,
  SandboxError,
  type SandboxProvider,
  SandboxStatusSchema,
  SnapshotInfoSchema,
} from "../../ports/sandbox.ts";
import {
  ExecStreamEventSchema,
  FileListSchema,
  ProcessListSchema,
  ReadFileResultSchema,
  SnapshotListSchema,
  WaitForLogResultSchema,
} from "../../ports/sandbox-wire.ts";

export interface LocalSandboxOptions {
  /** Base URL of the host, e.g. `http://127.0.0.1:8789`. */
  url: string;
  /** The host's bearer secret (`SandboxHost.secret`; the orchestrator's `SANDBOX_HOST_SECRET`). */
  secret?: string;
  /** Injected for tests or service bindings; defaults to the global fetch. */
  fetch?: typeof fetch;
}

type Method = "GET" | "POST" | "DELETE";

class HostClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  private readonly auth: Record<string, string>;

  constructor(opts: LocalSandboxOptions) {
    this.base = opts.url.replace(/\/$/, "");
    this.auth = opts.secret ? { authorization: `Bearer ${opts.secret}` } : {};
    this.doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  async raw(method: Method, path: string, body?: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await this.doFetch(`${this.base}${path}`, {
        method,
        ...(body === undefined
          ? { headers: this.auth }
          : { body: JSON.stringify(body), headers: { ...this.auth, "content-type": "application/json" } }),
      });
    } catch (error) {
      throw new SandboxError("unavailable", `Sandbox host unreachable at ${this.base}: ${String(error)}`, {
        cause: error,
      });
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      const parsed = ErrorBodySchema.safeParse(safeJson(text));
      if (parsed.success) throw new SandboxError(parsed.data.error.code, parsed.data.error.message);
      throw new SandboxError(
        response.status >= 500 ? "unavailable" : "internal",
        `HTTP ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    return response;
  }

  async call<S extends z.ZodType>(
    schema: S,
    method: Method,
    path: string,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const response = await this.raw(method, path, body);
    let json: unknown;
    try {
      json = await response.json();
    } catch (error) {
      throw new SandboxError("interrupted", `connection to the Sandbox host dropped: ${String(error)}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new SandboxError("internal", `unexpected answer from ${path}: ${parsed.error.message}`);
    return parsed.data;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const Ok = z.looseObject({});
const EnsuredSchema = z.object({ restored: z.boolean() });
const QueuedSchema = z.object({ queued: z.literal(true) });

class LocalSandbox implements Sandbox {
  private readonly path: string;

  constructor(
    readonly name: string,
    private readonly client: HostClient,
  ) {
    this.path = `/sandboxes/${encodeURIComponent(name)}`;
  }

  async exec(command: string | readonly string[], options: ExecOptions = {}) {
    const { onOutput, ...rest } = options;
    const body = { command: typeof command === "string" ? command : [...command], ...rest };
    if (!onOutput) return this.client.call(ExecResultSchema, "POST", `${this.path}/exec`, body);
    const response = await this.client.raw("POST", `${this.path}/exec?stream`, body);
    if (!response.body) throw new SandboxError("interrupted", "exec stream had no body");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new SandboxError("interrupted", `exec stream dropped: ${String(error)}`);
      }
      if (chunk.done) break;
      buffer += chunk.value;
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const event = ExecStreamEventSchema.parse(JSON.parse(buffer.slice(0, newline)));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
        if (event.type === "exit") return event.result;
        if (event.type === "error") throw new SandboxError(event.error.code, event.error.message);
        onOutput(event.type, event.data);
      }
    }
    throw new SandboxError("interrupted", "exec stream ended without an exit status");
  }

  async writeFile(
    path: string,
    content: string,
    options: { encoding?: "utf8" | "base64"; idempotencyKey?: string } = {},
  ) {
    await this.client.call(Ok, "POST", `${this.path}/files/write`, { path, content, ...options });
  }

  async readFile(path: string, options: { encoding?: "utf8" | "base64" } = {}) {
    return (
      await this.client.call(ReadFileResultSchema, "POST", `${this.path}/files/read`, { path, ...options })
    ).content;
  }

  async listFiles(path: string, options: { recursive?: boolean } = {}) {
    return (await this.client.call(FileListSchema, "POST", `${this.path}/files/list`, { path, ...options }))
      .files;
  }

  async deleteFile(path: string, options: { recursive?: boolean; idempotencyKey?: string } = {}) {
    await this.client.call(Ok, "POST", `${this.path}/files/delete`, { path, ...options });
  }

  startProcess(
    command: string | readonly string[],
    options: { processId?: string; cwd?: string; env?: Record<string, string>; idempotencyKey?: string } = {},
  ) {
    const body = { command: typeof command === "string" ? command : [...command], ...options };
    return this.client.call(ProcessInfoSchema, "POST", `${this.path}/processes`, body);
  }

  getProcess(id: string) {
    return this.client.call(ProcessInfoSchema, "GET", `${this.path}/processes/${encodeURIComponent(id)}`);
  }

  async listProcesses() {
    return (await this.client.call(ProcessListSchema, "GET", `${this.path}/processes`)).processes;
  }

  getProcessLogs(id: string) {
    return this.client.call(
      ProcessLogsSchema,
      "GET",
      `${this.path}/processes/${encodeURIComponent(id)}/logs`,
    );
  }

  async waitForPort(
    processId: string,
    port: number,
    options: { mode?: "http" | "tcp"; path?: string; timeoutMs?: number } = {},
  ) {
    const url = `${this.path}/processes/${encodeURIComponent(processId)}/wait-port`;
    await this.client.call(Ok, "POST", url, { port, ...options });
  }

  waitForLog(processId: string, pattern: string | RegExp, options: { timeoutMs?: number } = {}) {
    const url = `${this.path}/processes/${encodeURIComponent(processId)}/wait-log`;
    const body =
      typeof pattern === "string"
        ? { pattern, ...options }
        : { pattern: pattern.source, regexFlags: pattern.flags, ...options };
    return this.client.call(WaitForLogResultSchema, "POST", url, body);
  }

  async killProcess(id: string) {
    await this.client.call(Ok, "DELETE", `${this.path}/processes/${encodeURIComponent(id)}`);
  }

  exposePort(port: number, options: { idempotencyKey?: string } = {}) {
    return this.client.call(ExposedPortSchema, "POST", `${this.path}/ports`, { port, ...options });
  }

  snapshot(options: { name?: string; pin?: boolean; idempotencyKey?: string } = {}) {
    return this.client.call(SnapshotInfoSchema, "POST", `${this.path}/snapshots`, options);
  }

  async restore(snapshotId: string, options: { idempotencyKey?: string } = {}) {
    await this.client.call(Ok, "POST", `${this.path}/restore`, { snapshotId, ...options });
  }

  async listSnapshots() {
    return (await this.client.call(SnapshotListSchema, "GET", `${this.path}/snapshots`)).snapshots;
  }

  /**
   * `ensureAtSnapshot` (step-consistency.ts) in one round trip instead of two: the host compares
   * the marker and restores only when it does not name `snapshotId`. Returns whether it restored.
   */
  async ensureAtSnapshot(snapshotId: string): Promise<boolean> {
    const url = `${this.path}/ensure-at`;
    return (await this.client.call(EnsuredSchema, "POST", url, { snapshotId })).restored;
  }

  /**
   * The same, without waiting: the host queues it behind the calls made so far and answers at
   * once; the next call on this Sandbox waits for it. For idle time the caller knows is coming.
   */
  async ensureAtSnapshotSoon(snapshotId: string): Promise<void> {
    await this.client.call(QueuedSchema, "POST", `${this.path}/ensure-at`, { snapshotId, wait: false });
  }

  status() {
    return this.client.call(SandboxStatusSchema, "GET", this.path);
  }

  async destroy() {
    await this.client.call(Ok, "DELETE", this.path);
  }
}

export function createLocalSandboxProvider(options: LocalSandboxOptions): SandboxProvider {
  const client = new HostClient(options);
  return {
    get: (name) => new LocalSandbox(name, client),
    async listSnapshots(filter = {}) {
      const query = filter.sandbox ? `?sandbox=${encodeURIComponent(filter.sandbox)}` : "";
      return (await client.call(SnapshotListSchema, "GET", `/snapshots${query}`)).snapshots;
    },
    async pinSnapshot(id, pinned) {
      await client.call(Ok, "POST", `/snapshots/${encodeURIComponent(id)}/pin`, { pinned });
    },
  };
}
