/**
 * How the CLI says what a run is doing, from the API's run view: what it waits for (the view's
 * `waitingFor`, with the claim URL when the caller may see it), how long it has taken and what
 * it cost. Pure: `now` is passed in.
 */
import { left } from "./output.ts";

export interface WaitingForView {
  kind: "gate" | "claim";
  gate: { kind: string; seq: number } | null;
  what: string;
  until: number | null;
}

export interface RunLineView {
  status: string;
  createdAt: number;
  updatedAt: number;
  waitingFor?: WaitingForView | null;
  account?: { claimUrl?: string | null } | null;
  budgets?: { spent?: { costUsd?: number } } | null;
}

/**
 * "waiting for a decision at the claim gate (claim-1), 41m00s left", "waiting for someone to
 * claim the temporary account at https://…, 12m00s left"; null when it waits for nothing.
 */
export function waitingSentence(run: RunLineView, now = Date.now()): string | null {
  const w = run.waitingFor;
  if (!w) return null;
  const url = run.account?.claimUrl;
  const what =
    w.kind === "claim" && url
      ? `someone to claim the temporary account at ${url}`
      : w.gate
        ? `${w.what} (${w.gate.kind}-${w.gate.seq})`
        : w.what;
  return `waiting for ${what}${w.until === null ? "" : `, ${left(w.until, now)}`}`;
}

/** "3m12s", "1h04m", "9s": a final run's whole time, an active one's so far. */
export function runDuration(run: RunLineView, now = Date.now()): string {
  const end = run.status === "final" ? run.updatedAt : now;
  const s = Math.max(0, Math.floor((end - run.createdAt) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** "$0.42" (the model spend so far), or "—" when the run has no budgets yet. */
export function runCost(run: RunLineView): string {
  const cost = run.budgets?.spent?.costUsd;
  return typeof cost === "number" ? `$${cost.toFixed(2)}` : "—";
}
