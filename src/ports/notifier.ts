/** The Notifier port: tells humans a gate opened, a run ended or a job paused itself. Idempotent per key. */

export interface Notification {
  idempotencyKey: string;
  runId: string;
  /** `job.paused`: a job paused itself after failed runs; `runId` is the last of them. */
  kind: "gate.opened" | "run.finished" | "job.paused";
  title: string;
  body: string;
  links: Array<{ label: string; url: string }>;
  /** For `gate.opened`: which gate, so a channel can link to it (signed links, the inbox page). */
  gate?: { id: string; kind: "tos" | "claim" | "dns"; seq: number; deadlineAt: number };
}

export interface Notifier {
  notify(notification: Notification): Promise<void>;
}
