/**
 * A stand-in for the `@cloudflare/sandbox` container, so the Cloudflare
 * adapter runs the Sandbox contract for real (containers cannot run here):
 * the SDK stub's calls are carried out by a local-host Sandbox (real commands
 * in bubblewrap), and its answers and failures come back the way the SDK
 * gives them — plain errors with the SDK's codes, `null` for an unknown
 * process, backups as `{ id, dir }`. Files outside /workspace (the adapter's
 * snapshot marker) live in the container's own memory, lost on destroy.
 * Isolation from the host is the local host's here, not a container's.
 */
import type { IndexBucket } from "../../src/adapters/sandbox/cloudflare-snapshot-index.ts";
import type { CloudflareProcess, CloudflareSandboxStub } from "../../src/adapters/sandbox/cloudflare-stub.ts";
import {
  isSandboxError,
  type ProcessInfo,
  type Sandbox,
  type SandboxErrorCode,
  WORKSPACE_DIR,
} from "../../src/ports/sandbox.ts";

/** The SDK's error: a `code` property the adapter's table translates. */
class SdkError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Kind = "file" | "process" | "backup";
const SDK_CODES: Partial<Record<SandboxErrorCode, string | Record<Kind, string>>> = {
  not_found: { file: "FILE_NOT_FOUND", process: "PROCESS_NOT_FOUND", backup: "BACKUP_NOT_FOUND" },
  timeout: "PROCESS_READY_TIMEOUT",
  killed: "PROCESS_EXITED_BEFORE_READY",
  invalid: "VALIDATION_FAILED",
  interrupted: "OPERATION_INTERRUPTED",
  unavailable: "CONTAINER_UNAVAILABLE",
  conflict: "FILE_EXISTS",
  quota_exceeded: "NO_SPACE",
};

/** Rethrows a port error as the SDK would have thrown it. */
async function sdk<T>(kind: Kind, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isSandboxError(error)) throw error;
    const code = SDK_CODES[error.code];
    if (code === undefined) throw new SdkError("INTERNAL_ERROR", error.message);
    throw new SdkError(typeof code === "string" ? code : code[kind], error.message);
  }
}

const inWorkspace = (path: string) => path === WORKSPACE_DIR || path.startsWith(`${WORKSPACE_DIR}/`);

/** Streamed output past this is dropped by the stand-in once the adapter aborted (the SDK stops the command). */
const RUNAWAY_OUTPUT_BYTES = 4 << 20;

export function containerStub(box: Sandbox): CloudflareSandboxStub {
  const outside = new Map<string, string>();
  const toProcess = (p: ProcessInfo): CloudflareProcess => ({
    id: p.id,
    command: p.command,
    status: p.status,
    startTime: p.startedAt,
    ...(p.exitCode === null ? {} : { exitCode: p.exitCode }),
    waitForPort: (port, o = {}) =>
      sdk("process", () =>
        box.waitForPort(p.id, port, {
          ...(o.mode ? { mode: o.mode } : {}),
          ...(o.path ? { path: o.path } : {}),
          ...(o.timeout ? { timeoutMs: o.timeout } : {}),
        }),
      ),
    waitForLog: (pattern, timeout) =>
      sdk("process", () => box.waitForLog(p.id, pattern, timeout ? { timeoutMs: timeout } : {})),
  });
  return {
    async exec(command, o = {}) {
      const rm = /^rm -f (\/\S+)$/.exec(command);
      if (rm?.[1] && !inWorkspace(rm[1])) {
        outside.delete(rm[1]);
        return { exitCode: 0, stdout: "", stderr: "", duration: 0 };
      }
      const run = box
        .exec(command, {
          ...(o.cwd ? { cwd: o.cwd } : {}),
          ...(o.env ? { env: o.env as Record<string, string> } : {}),
          ...(o.timeout ? { timeoutMs: o.timeout } : {}),
          maxOutputBytes: RUNAWAY_OUTPUT_BYTES,
          ...(o.onOutput ? { onOutput: o.onOutput } : {}),
        })
        .catch((error: unknown) => {
          // The SDK reports a command past its wall time as a plain timeout error, without a code.
          if (isSandboxError(error, "timeout")) throw new Error(`command timed out: ${error.message}`);
          throw error;
        });
      const aborted = new Promise<never>((_, reject) =>
        o.signal?.addEventListener("abort", () =>
          reject(new SdkError("OPERATION_INTERRUPTED", "the command was aborted")),
        ),
      );
      const result = await sdk("file", () => Promise.race([run, aborted]));
      run.catch(() => {}); // a runaway command ends on its own cap
      return { ...result, duration: result.durationMs };
    },
    async writeFile(path, content, o = {}) {
      if (!inWorkspace(path)) return void outside.set(path, content);
      await sdk("file", () =>
        box.writeFile(path, content, o.encoding === "base64" ? { encoding: "base64" } : {}),
      );
    },
    async readFile(path, o = {}) {
      if (!inWorkspace(path)) {
        const content = outside.get(path);
        if (content === undefined) throw new SdkError("FILE_NOT_FOUND", `no ${path}`);
        return { content, encoding: "utf-8" };
      }
      const encoding = o.encoding === "base64" ? "base64" : "utf8";
      const content = await sdk("file", () => box.readFile(path, { encoding }));
      return { content, encoding: encoding === "base64" ? "base64" : "utf-8" };
    },
    async listFiles(path, o = {}) {
      const files = await sdk("file", () => box.listFiles(path, { recursive: o.recursive ?? false }));
      return { files: files.map((f) => ({ ...f, absolutePath: f.path })) };
    },
    deleteFile: (path) => sdk("file", () => box.deleteFile(path)),
    async startProcess(command, o = {}) {
      return toProcess(
        await sdk("process", () => box.startProcess(command, o as Parameters<Sandbox["startProcess"]>[1])),
      );
    },
    async getProcess(id) {
      return box.getProcess(id).then(toProcess, (error: unknown) => {
        if (isSandboxError(error, "not_found")) return null;
        throw error;
      });
    },
    listProcesses: async () => (await sdk("process", () => box.listProcesses())).map(toProcess),
    killProcess: (id) => sdk("process", () => box.killProcess(id)),
    getProcessLogs: (id) => sdk("process", () => box.getProcessLogs(id)),
    exposePort: (port) => sdk("process", () => box.exposePort(port)),
    async createBackup(o) {
      const info = await sdk("backup", () => box.snapshot(o.name ? { name: o.name } : {}));
      return { id: info.id, dir: o.dir };
    },
    restoreBackup: (backup) => sdk("backup", () => box.restore(backup.id)),
    async destroy() {
      outside.clear();
      await sdk("backup", () => box.destroy());
    },
  };
}

/** An R2 bucket in memory: the part the adapter uses for its snapshot index and first answers. */
export function memoryBucket(): IndexBucket {
  const objects = new Map<string, string>();
  return {
    put: async (key, value) => void objects.set(key, value),
    get: async (key) => {
      const value = objects.get(key);
      return value === undefined ? null : { text: async () => value };
    },
    delete: async (key) => void objects.delete(key),
    list: async ({ prefix }) => ({
      objects: [...objects.keys()].filter((k) => k.startsWith(prefix)).map((key) => ({ key })),
      truncated: false,
    }),
  };
}
