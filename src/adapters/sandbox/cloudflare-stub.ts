/**
 * The part of `@cloudflare/sandbox` the Cloudflare Sandbox adapter uses, as
 * interfaces (tests pass a fake), and the SDK's process shape translated to the port's.
 */
import type { FileEntry, ProcessInfo } from "../../ports/sandbox.ts";

/** The part of a `@cloudflare/sandbox` Process this adapter uses. */
export interface CloudflareProcess {
  id: string;
  command: string;
  status: string;
  startTime: Date | string;
  exitCode?: number;
  waitForPort(
    port: number,
    options?: { mode?: "http" | "tcp"; path?: string; timeout?: number },
  ): Promise<void>;
  waitForLog(pattern: string | RegExp, timeout?: number): Promise<{ line: string }>;
}

/** The part of the `@cloudflare/sandbox` Sandbox stub this adapter uses (tests pass a fake). */
export interface CloudflareSandboxStub {
  exec(
    command: string,
    options?: {
      timeout?: number;
      env?: Record<string, string | undefined>;
      cwd?: string;
      stream?: boolean;
      onOutput?: (stream: "stdout" | "stderr", data: string) => void;
      signal?: AbortSignal;
    },
  ): Promise<{ exitCode: number; stdout: string; stderr: string; duration: number }>;
  writeFile(path: string, content: string, options?: { encoding?: string }): Promise<unknown>;
  readFile(
    path: string,
    options?: { encoding?: "utf-8" | "base64" },
  ): Promise<{ content: string; encoding?: string }>;
  listFiles(
    path: string,
    options?: { recursive?: boolean; includeHidden?: boolean },
  ): Promise<{
    files: { absolutePath: string; type: FileEntry["type"]; size: number; modifiedAt: string }[];
  }>;
  deleteFile(path: string): Promise<unknown>;
  startProcess(
    command: string,
    options?: { processId?: string; cwd?: string; env?: Record<string, string | undefined> },
  ): Promise<CloudflareProcess>;
  getProcess(id: string): Promise<CloudflareProcess | null>;
  listProcesses(): Promise<CloudflareProcess[]>;
  killProcess(id: string): Promise<void>;
  getProcessLogs(id: string): Promise<{ stdout: string; stderr: string }>;
  exposePort(port: number, options: { hostname: string }): Promise<{ url: string; port: number }>;
  createBackup(options: { dir: string; name?: string; ttl?: number }): Promise<{ id: string; dir: string }>;
  restoreBackup(backup: { id: string; dir: string }): Promise<unknown>;
  destroy(): Promise<void>;
}

export function toProcessInfo(p: CloudflareProcess): ProcessInfo {
  const status: ProcessInfo["status"] =
    p.status === "completed"
      ? "completed"
      : p.status === "killed"
        ? "killed"
        : p.status === "failed" || p.status === "error"
          ? "failed"
          : "running";
  const started = p.startTime instanceof Date ? p.startTime : new Date(p.startTime);
  return {
    id: p.id,
    command: p.command,
    status,
    exitCode: p.exitCode ?? null,
    startedAt: started.toISOString(),
  };
}
