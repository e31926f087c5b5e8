/**
 * Pure: `@cloudflare/sandbox` error codes → the port's codes, in one table.
 * Matched by the `code` property (the SDK's SandboxError subclasses carry it),
 * so a transport that rebuilt the error as a plain object still translates.
 */
import { SandboxError, type SandboxErrorCode } from "../../ports/sandbox.ts";

const CODES: Record<string, SandboxErrorCode> = {
  FILE_NOT_FOUND: "not_found",
  PROCESS_NOT_FOUND: "not_found",
  BACKUP_NOT_FOUND: "not_found",
  BACKUP_EXPIRED: "not_found",
  GIT_REPOSITORY_NOT_FOUND: "not_found",
  PORT_NOT_EXPOSED: "not_found",
  FILE_EXISTS: "conflict",
  PORT_ALREADY_EXPOSED: "conflict",
  PORT_IN_USE: "conflict",
  SESSION_ALREADY_EXISTS: "conflict",
  PROCESS_READY_TIMEOUT: "timeout",
  PROCESS_EXITED_BEFORE_READY: "killed",
  OPERATION_INTERRUPTED: "interrupted",
  SESSION_TERMINATED: "interrupted",
  SESSION_DESTROYED: "interrupted",
  CONTAINER_UNAVAILABLE: "unavailable",
  RPC_TRANSPORT_ERROR: "unavailable",
  SERVICE_NOT_RESPONDING: "unavailable",
  NO_SPACE: "quota_exceeded",
  FILE_TOO_LARGE: "quota_exceeded",
  TOO_MANY_FILES: "quota_exceeded",
  CUSTOM_DOMAIN_REQUIRED: "unsupported",
  VALIDATION_FAILED: "invalid",
  INVALID_PORT: "invalid",
  INVALID_PORT_NUMBER: "invalid",
  INVALID_COMMAND: "invalid",
  INVALID_BACKUP_CONFIG: "invalid",
  IS_DIRECTORY: "invalid",
  NOT_DIRECTORY: "invalid",
  PERMISSION_DENIED: "invalid",
  READ_ONLY: "invalid",
  NAME_TOO_LONG: "invalid",
};

export function translateCloudflareError(error: unknown): SandboxError {
  if (error instanceof SandboxError) return error;
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  const message = error instanceof Error ? error.message : String(error);
  const mapped = CODES[code] ?? (/timed? ?out|timeout/i.test(message) ? "timeout" : "internal");
  return new SandboxError(mapped, code ? `${code}: ${message}` : message, { cause: error });
}
