/** Formatting shared by the pages: times, durations, countdowns, money. Pure. */
import { type Html, html } from "./html.ts";

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** "1h 02m 03s", "4m 05s", "9s"; never negative. Mirrors the countdown script. */
export function duration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

export function timeLeft(deadline: number, now: number): string {
  return deadline <= now ? "expired" : `${duration(deadline - now)} left`;
}

/** "just now", "3 min ago", "2 h ago", "5 d ago"; "in 4 min" for a time still to come. */
export function relativeTime(at: number, now: number): string {
  const s = Math.round((now - at) / 1000);
  const size = Math.abs(s);
  const amount =
    size < 60
      ? null
      : size < 3600
        ? `${Math.round(size / 60)} min`
        : size < 86_400
          ? `${Math.round(size / 3600)} h`
          : `${Math.round(size / 86_400)} d`;
  if (amount === null) return "just now";
  return s >= 0 ? `${amount} ago` : `in ${amount}`;
}

/**
 * A time as people read it: relative ("3 min ago"), the exact UTC time in `datetime` and the
 * title; the page script puts the reader's local time in the title and keeps the text fresh.
 */
export function timeAgo(at: number, now: number): Html {
  const iso = new Date(at).toISOString();
  return html`<time datetime="${iso}" title="${isoTime(at)}" data-at="${at}">${relativeTime(at, now)}</time>`;
}

/** How long a run took (a final one) or has taken so far (an active one). */
export function runDuration(
  run: { status: string; created_at: number; updated_at: number },
  now: number,
): string {
  return duration((run.status === "final" ? run.updated_at : now) - run.created_at);
}

/** "$0.42", or "—" before the run has spent anything it could count. */
export function costUsd(spent: number | null | undefined): string {
  return typeof spent === "number" ? `$${spent.toFixed(2)}` : "—";
}
