/** Formatting shared by the pages: times, durations, countdowns. Pure. */

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
