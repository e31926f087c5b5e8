/**
 * A run's audit log as Server-Sent Events, for the inbox's live timeline and
 * for API clients. The Worker polls D1 (the events table is the only source of
 * truth and there is nothing to subscribe to) and writes what is new:
 *
 *   retry: 2000                                   once, first
 *   id: <seq>\ndata: <event JSON>                 each audit event, oldest first
 *   event: state\ndata: {"state","status",…}    when the run's state (or what `describe` adds) changes
 *   event: end\ndata: {"state","status"}          the run is final and everything was sent
 *   : keep-alive                                  while nothing happens
 *
 * Each audit event carries its `seq` as the SSE id, so an EventSource that
 * reconnects sends `Last-Event-ID` and resumes right after the last event it
 * got: no duplicates, no gaps. The stream lives at most `lifetimeMs` (then the
 * client reconnects), so no connection and no D1 polling outlives its use.
 */
import type { EventRow, RunRow } from "../store/rows.ts";
import { listEvents } from "../store/events.ts";
import { getRun } from "../store/runs.ts";

export interface EventStreamOptions {
  db: D1Database;
  runId: string;
  /** Send events after this seq (from `Last-Event-ID`, else `?after=`). */
  after: number;
  /** What one event looks like on the wire (the API's view, or the inbox's). */
  render: (event: EventRow) => unknown;
  pollMs?: number;
  lifetimeMs?: number;
  /** How long a client waits before reconnecting (the SSE `retry` field). */
  retryMs?: number;
  keepAliveMs?: number;
  /** More to say about the run in each `state` message (the inbox: what it waits for). */
  describe?: (run: RunRow) => Promise<Record<string, unknown>>;
}

export const STREAM_DEFAULTS = { pollMs: 1_000, lifetimeMs: 60_000, retryMs: 2_000, keepAliveMs: 15_000 };

const BATCH = 200;

/** Where a stream resumes: the `Last-Event-ID` of a reconnecting EventSource wins over `?after=`. */
export function resumeAfter(lastEventId: string | undefined, after: string | undefined): number {
  for (const value of [lastEventId, after]) {
    if (value !== undefined && /^\d+$/.test(value.trim())) return Number(value.trim());
  }
  return 0;
}

/** One SSE message; data is JSON on a single line, so it never needs splitting. */
export function sseMessage(fields: { id?: number; event?: string; data: unknown }): string {
  return `${fields.id !== undefined ? `id: ${fields.id}\n` : ""}${fields.event ? `event: ${fields.event}\n` : ""}data: ${JSON.stringify(fields.data)}\n\n`;
}

export function eventStreamResponse(options: EventStreamOptions): Response {
  const { pollMs, lifetimeMs, retryMs, keepAliveMs } = { ...STREAM_DEFAULTS, ...definedOnly(options) };
  const encoder = new TextEncoder();
  const started = Date.now();
  let after = options.after;
  let lastState: string | null = null;
  let described: { at: number | null; value: Record<string, unknown> } = { at: null, value: {} };
  let lastWrite = started;
  let finalSeenAt: number | null = null;
  let cancelled = false;
  let first = true;

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Each pull waits until there is something to write, then writes it; the reader's pace sets ours.
      for (;;) {
        if (cancelled) return;
        let out = first ? `retry: ${retryMs}\n\n` : "";
        first = false;
        const polledAt = Date.now();
        const events = await listEvents(options.db, options.runId, after, BATCH);
        for (const event of events) {
          out += sseMessage({ id: event.seq, data: options.render(event) });
          after = event.seq;
        }
        const run = await getRun(options.db, options.runId);
        // What `describe` adds is read again only when the run's row changed, not on every poll.
        if (run && options.describe && run.updated_at !== described.at)
          described = { at: run.updated_at, value: await options.describe(run) };
        const view = run
          ? { state: run.state, status: run.status, ...described.value }
          : { state: "unknown", status: "final" };
        // A claim approved while the run stays `promoting` changes what it waits for, not its state.
        const key = JSON.stringify(view);
        if (key !== lastState) {
          lastState = key;
          out += sseMessage({ event: "state", data: view });
        }
        // The run's row turns final just before its last event is written: end only after a
        // poll made a full interval after the run was seen final found nothing more.
        const done = finalSeenAt !== null && polledAt - finalSeenAt >= pollMs && events.length === 0;
        if (view.status === "final") finalSeenAt ??= Date.now();
        if (done) out += sseMessage({ event: "end", data: view });
        const now = Date.now();
        if (!out && now - lastWrite >= keepAliveMs) out = ": keep-alive\n\n";
        if (out) {
          controller.enqueue(encoder.encode(out));
          lastWrite = now;
        }
        if (done || now - started >= lifetimeMs) {
          controller.close();
          return;
        }
        if (events.length === BATCH) continue;
        if (out) return;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
    cancel() {
      cancelled = true;
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}

function definedOnly(options: EventStreamOptions) {
  return Object.fromEntries(
    Object.entries({
      pollMs: options.pollMs,
      lifetimeMs: options.lifetimeMs,
      retryMs: options.retryMs,
      keepAliveMs: options.keepAliveMs,
    }).filter(([, v]) => v !== undefined),
  ) as Partial<typeof STREAM_DEFAULTS>;
}
