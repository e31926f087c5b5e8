/**
 * The in-memory request log that tests query (`GET /__emulator/requests`) to
 * assert which calls were made. Never records bodies, the Authorization header
 * or anything that looks like a credential; claim tokens in paths are masked.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { FaultAction } from "./faults.ts";

export type RequestKind = "api" | "worker" | "claim" | "admin";

export interface LoggedRequest {
  seq: number;
  kind: RequestKind;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  at: string;
  /** Time spent inside the emulator's own handler (excludes a proxied Worker's time for "worker"). */
  handlerMs: number;
  headers: Record<string, string>;
  /**
   * Set when an injected fault acted on the request: `hang` (handled, answer
   * never sent; `status` is what would have been sent), `drop` (not handled,
   * connection closed; `status` 0) or `status` (not handled, answered with `status`).
   */
  fault?: FaultAction;
}

const SECRET_HEADER = /authorization|cookie|token|secret|api-key|x-auth/i;
const MAX_ENTRIES = 10_000;

export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || SECRET_HEADER.test(name)) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export function redactPath(path: string): string {
  return path.replace(/^\/claim\/[^/?]+/, "/claim/:token");
}

export interface LogQuery {
  /** a sequence number (entries after it) or an ISO date (entries at or after it) */
  since?: string | null;
  /** substring of the path */
  path?: string | null;
  method?: string | null;
  kind?: string | null;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private seq = 0;

  add(entry: Omit<LoggedRequest, "seq">): LoggedRequest {
    const full = { ...entry, seq: ++this.seq };
    this.entries.push(full);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    return full;
  }

  /** The entries matching the query, oldest first. */
  list(query: LogQuery = {}): LoggedRequest[] {
    const since = query.since ?? null;
    const sinceSeq = since !== null && /^\d+$/.test(since) ? Number(since) : null;
    const sinceAt = since !== null && sinceSeq === null ? Date.parse(since) : null;
    return this.entries.filter(
      (e) =>
        (sinceSeq === null || e.seq > sinceSeq) &&
        (sinceAt === null || Number.isNaN(sinceAt) || Date.parse(e.at) >= sinceAt) &&
        (!query.path || e.path.includes(query.path)) &&
        (!query.method || e.method === query.method.toUpperCase()) &&
        (!query.kind || e.kind === query.kind),
    );
  }

  /** The sequence number of the newest entry (use it as `since` to see only later calls). */
  get lastSeq(): number {
    return this.seq;
  }

  clear(): void {
    this.entries = [];
  }
}
