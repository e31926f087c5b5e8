/** The Notifier port: tells humans a gate opened or a run ended. Idempotent per key. */

export interface Notification {
  idempotencyKey: string;
  runId: string;
  kind: "gate.opened" | "run.finished";
  title: string;
  body: string;
  links: Array<{ label: string; url: string }>;
}

export interface Notifier {
  notify(notification: Notification): Promise<void>;
}
