/**
 * The Sandbox port: a persistent, named workspace where the agent's code lives
 * and runs. Shaped after `@cloudflare/sandbox` so the production adapter stays
 * thin; the local Sandbox host (src/local/sandbox-host) speaks the same shapes
 * over HTTP. This module holds the interface, the zod schemas of what it
 * returns and the error vocabulary with its one code → HTTP status table; the
 * host's request bodies are `sandbox-wire.ts`. Worker-safe: no `node:` imports.
 *
 * Paths inside a Sandbox are absolute under `/workspace` (or relative to it).
 * Only `/workspace` is persistent and covered by snapshots.
 */
import type { IdempotencyKey } from "./vocabulary.ts";
import { z } from "zod";

/** The persistent directory every adapter exposes, as Cloudflare's backups require. */
export const WORKSPACE_DIR = "/workspace";

/**
 * Pure: a Sandbox path (absolute, or relative to /workspace) as a path relative to
 * /workspace ("" for the root); throws `invalid` when it leaves /workspace.
 */
export function workspaceRelative(path: string): string {
  // No file name holds one; Node's fs would throw a TypeError (a 500) instead of a refusal.
  if (path.includes("\0")) throw new SandboxError("invalid", `path contains a NUL byte: ${path}`);
  const absolute = path.startsWith("/") ? path : `${WORKSPACE_DIR}/${path}`;
  const parts: string[] = [];
  for (const part of absolute.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  if (parts[0] !== WORKSPACE_DIR.slice(1)) {
    throw new SandboxError("invalid", `path must be under ${WORKSPACE_DIR}: ${path}`);
  }
  return parts.slice(1).join("/");
}

// ---------------------------------------------------------------- errors

export const SANDBOX_ERROR_CODES = [
  "invalid", // the request itself is wrong (bad path, bad port, schema violation)
  "not_found", // sandbox, file, process or snapshot does not exist
  "conflict", // e.g. a process id already in use
  "timeout", // a command or a readiness wait ran out of wall time
  "output_limit", // a command wrote more than its output cap
  "killed", // the command was killed (destroy, sleep, snapshot) before it ended
  "interrupted", // the host or container went away in the middle of the call
  "quota_exceeded", // the Sandbox's disk quota is used up
  "unsupported", // the adapter cannot do this (e.g. ports with network "none")
  "unavailable", // transient: the host/container is not reachable, retry
  "unauthorized", // the caller did not show the host's secret (a misconfiguration, not retried)
  "internal", // a bug or an unexpected host failure
] as const;
export type SandboxErrorCode = (typeof SANDBOX_ERROR_CODES)[number];

/** The one table from error code to HTTP status, used by the host and read back by the client. */
export const SANDBOX_ERROR_STATUS: Record<SandboxErrorCode, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  timeout: 504,
  output_limit: 413,
  killed: 410,
  interrupted: 503,
  quota_exceeded: 507,
  unsupported: 501,
  unavailable: 503,
  unauthorized: 401,
  internal: 500,
};

/** Codes a caller may retry as they are (transient faults). */
export const RETRYABLE_SANDBOX_ERRORS: ReadonlySet<SandboxErrorCode> = new Set([
  "interrupted",
  "unavailable",
]);

export class SandboxError extends Error {
  override readonly name = "SandboxError";
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isSandboxError(error: unknown, code?: SandboxErrorCode): error is SandboxError {
  return error instanceof SandboxError && (code === undefined || error.code === code);
}

export const ErrorBodySchema = z.object({
  error: z.object({ code: z.enum(SANDBOX_ERROR_CODES), message: z.string() }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

// ---------------------------------------------------------------- shapes

/** A Sandbox name: becomes a directory name locally and a Durable Object name in production. */
export const SandboxNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "lowercase [a-z0-9._-], ≤ 63 chars");
export const ExecResultSchema = z.object({
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number(),
});
export type ExecResult = z.infer<typeof ExecResultSchema>;

export const FileEncodingSchema = z.enum(["utf8", "base64"]);
export type FileEncoding = z.infer<typeof FileEncodingSchema>;

export const FileEntrySchema = z.object({
  path: z.string(),
  type: z.enum(["file", "directory", "symlink", "other"]),
  size: z.number(),
  modifiedAt: z.string(),
});
export type FileEntry = z.infer<typeof FileEntrySchema>;

export const ProcessStatusSchema = z.enum(["running", "completed", "failed", "killed"]);
export const ProcessInfoSchema = z.object({
  id: z.string(),
  command: z.string(),
  status: ProcessStatusSchema,
  exitCode: z.number().int().nullable(),
  startedAt: z.string(),
});
export type ProcessInfo = z.infer<typeof ProcessInfoSchema>;

export const ProcessLogsSchema = z.object({ stdout: z.string(), stderr: z.string(), truncated: z.boolean() });
export type ProcessLogs = z.infer<typeof ProcessLogsSchema>;

export const ExposedPortSchema = z.object({ port: z.number().int(), url: z.string().url() });
export type ExposedPort = z.infer<typeof ExposedPortSchema>;

export const SnapshotInfoSchema = z.object({
  /** Stable, opaque; pass it to `restore` on any Sandbox of the same provider. */
  id: z.string(),
  sandbox: z.string(),
  name: z.string().nullable(),
  createdAt: z.string(),
  pinned: z.boolean(),
  /** Bytes this snapshot added on disk (its own layer), when the adapter knows it. */
  sizeBytes: z.number().nullable(),
});
export type SnapshotInfo = z.infer<typeof SnapshotInfoSchema>;

export const SandboxStatusSchema = z.object({
  name: z.string(),
  state: z.enum(["awake", "sleeping", "absent"]),
  /** The snapshot the workspace was last restored to or snapshotted as, or null once changed since. */
  snapshotId: z.string().nullable(),
  processes: z.number().int(),
  diskUsageBytes: z.number().nullable(),
});
export type SandboxStatus = z.infer<typeof SandboxStatusSchema>;

// ---------------------------------------------------------------- the port

/** Every mutating call may carry one: a retried call with the same key returns the first result. */
export interface MutationOptions {
  idempotencyKey?: IdempotencyKey;
}

export interface ExecOptions extends MutationOptions {
  /** Working directory inside the Sandbox; default `/workspace`. */
  cwd?: string;
  /** The only variables the command sees besides PATH, HOME, TMPDIR (host variables never leak in). */
  env?: Record<string, string>;
  /** Wall-time limit; exceeding it kills the command and throws `timeout`. */
  timeoutMs?: number;
  /** Cap on stdout + stderr bytes; exceeding it kills the command and throws `output_limit`. */
  maxOutputBytes?: number;
  /** Streamed output, as it arrives (non-durable: a retried step sees it again). */
  onOutput?: (stream: "stdout" | "stderr", data: string) => void;
}

export interface ProcessOptions extends MutationOptions {
  processId?: string;
  cwd?: string;
  env?: Record<string, string>;
}

export interface WaitForPortOptions {
  /** `http` (default) waits for a 2xx–3xx answer at `path`; `tcp` for an accepted connection. */
  mode?: "http" | "tcp";
  path?: string;
  timeoutMs?: number;
}

export interface SnapshotOptions extends MutationOptions {
  name?: string;
  /** Pinned snapshots (e.g. one an open gate refers to) are never garbage-collected. */
  pin?: boolean;
}

export interface Sandbox {
  readonly name: string;
  /** A string runs under `sh -c`; an array is an argv run as is. Non-zero exit codes are values. */
  exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult>;
  writeFile(
    path: string,
    content: string,
    options?: MutationOptions & { encoding?: FileEncoding },
  ): Promise<void>;
  readFile(path: string, options?: { encoding?: FileEncoding }): Promise<string>;
  listFiles(path: string, options?: { recursive?: boolean }): Promise<FileEntry[]>;
  deleteFile(path: string, options?: MutationOptions & { recursive?: boolean }): Promise<void>;
  startProcess(command: string | readonly string[], options?: ProcessOptions): Promise<ProcessInfo>;
  getProcess(id: string): Promise<ProcessInfo>;
  listProcesses(): Promise<ProcessInfo[]>;
  getProcessLogs(id: string): Promise<ProcessLogs>;
  /** Resolves once the port answers; throws `timeout`, or `killed` when the process exits first. */
  waitForPort(processId: string, port: number, options?: WaitForPortOptions): Promise<void>;
  /** Resolves with the first output line matching; throws `timeout` or `killed` like waitForPort. */
  waitForLog(
    processId: string,
    pattern: string | RegExp,
    options?: { timeoutMs?: number },
  ): Promise<{ line: string }>;
  killProcess(id: string): Promise<void>;
  /** A URL the orchestrator and the verifier can fetch. */
  exposePort(port: number, options?: MutationOptions): Promise<ExposedPort>;
  /** Freezes `/workspace`. Background processes are stopped (start them again afterwards). */
  snapshot(options?: SnapshotOptions): Promise<SnapshotInfo>;
  /** Makes `/workspace` exactly the snapshot's files; stops background processes. */
  restore(snapshotId: string, options?: MutationOptions): Promise<void>;
  listSnapshots(): Promise<SnapshotInfo[]>;
  status(): Promise<SandboxStatus>;
  /** Stops everything and deletes the workspace. Snapshots stay (restore brings it back). */
  destroy(): Promise<void>;
  /**
   * Optional capability (the local host's adapter): `ensureAtSnapshot` of step-consistency.ts
   * in one round trip — compare the marker, restore when it differs; returns whether it
   * restored. Without it callers do the same with `status()` and `restore()`.
   */
  ensureAtSnapshot?(snapshotId: string): Promise<boolean>;
  /** Optional capability: queue `ensureAtSnapshot` behind the calls already made, without waiting. */
  ensureAtSnapshotSoon?(snapshotId: string): Promise<void>;
}

export interface SandboxProvider {
  /** Get-or-create by name: the Sandbox starts (or wakes) on its first call. */
  get(name: string): Sandbox;
  /** Snapshots newest first, all or those taken from one Sandbox. */
  listSnapshots(filter?: { sandbox?: string }): Promise<SnapshotInfo[]>;
  pinSnapshot(id: string, pinned: boolean): Promise<void>;
}
