/**
 * The Notifier port: tells humans a gate opened, is about to expire or expired,
 * a run ended (or failed) or a job paused itself. Idempotent per key.
 */
import type { GateKind, IdempotencyKey } from "./vocabulary.ts";

export interface Notification {
  idempotencyKey: IdempotencyKey;
  runId: string;
  /**
   * `job.paused`: a job paused itself after failed runs; `runId` is the last of them.
   * `run.failed`: the run ended failed, budgetExhausted or expired (or was aborted by a fault);
   * `run.finished`: any other end (succeeded, rejected, cancelled).
   */
  kind: "gate.opened" | "gate.expiring" | "gate.expired" | "run.finished" | "run.failed" | "job.paused";
  title: string;
  body: string;
  links: Array<{ label: string; url: string }>;
  /** For the `gate.*` kinds: which gate, so a channel can link to it (signed links, the inbox page). */
  gate?: { id: string; kind: GateKind; seq: number; deadlineAt: number };
}

export interface Notifier {
  notify(notification: Notification): Promise<void>;
}
