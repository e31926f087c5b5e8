/**
 * A pending gate's one deadline, as every inbox page shows it: the time left
 * until `decideBy` (the earlier of the gate's timeout and, for a claim gate,
 * the account's expiry), saying which it is. Pure.
 */
import type { DecideBy } from "../store/gates.ts";
import type { WaitingFor } from "../web/waiting-for.ts";
import { isoTime, timeLeft } from "./format.ts";
import { type Html, html } from "./html.ts";

const BECAUSE: Record<DecideBy["because"], string> = {
  timeout: "gate times out",
  account_expiry: "account to claim expires",
};

export function countdown(at: number, now: number): Html {
  return html`<time datetime="${new Date(at).toISOString()}" data-deadline="${at}">${timeLeft(at, now)}</time>`;
}

/** "41m left (account to claim expires)". */
export function timeLeftFor(due: DecideBy, now: number): Html {
  return html`${countdown(due.at, now)} <span class="why">(${BECAUSE[due.because]})</span>`;
}

/** The gate page's line: the deadline, its countdown and reason, then the other one beside it. */
export function decideByLine(due: DecideBy, now: number): Html {
  const other = due.other
    ? html` · then the ${BECAUSE[due.other.because]} at ${isoTime(due.other.at)}`
    : html``;
  return html`${isoTime(due.at)} (${timeLeftFor(due, now)})${other}`;
}

/** "a decision at the claim gate · 41m 00s left", or "—" for a run that waits for nothing. */
export function waitingLine(waiting: WaitingFor | null, now: number): Html {
  if (!waiting) return html`—`;
  return html`${waiting.what}${waiting.until === null ? "" : html` · ${countdown(waiting.until, now)}`}`;
}
