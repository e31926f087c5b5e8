/**
 * The two gate notices that are not tied to a step of the run: "about to
 * expire" and "expired". Each is claimed on the gate row before it is handed
 * to the Notifier (a conditional update, see `src/store/gates.ts`), so each is
 * sent once per gate however often the sweeper runs, and whoever expires the
 * gate first (the sweeper or the run itself) sends "expired". The idempotency
 * key (`<run>:gate:<kind>#<seq>/expiring` or `/expired`) makes a repeated
 * delivery recognisable downstream as well. Links (a fresh single-use signed
 * link while the gate is pending, the inbox page) are added by the Notifier
 * (`links.ts`).
 */
import { type IdempotencyKey, idempotencyKey } from "../ports/vocabulary.ts";
import type { Notification, Notifier } from "../ports/notifier.ts";
import { claimExpiryNotice, claimExpiryWarning, decideBy } from "../store/gates.ts";
import type { GateRow } from "../store/rows.ts";
import { getRun } from "../store/runs.ts";

export interface NoticeContext {
  db: D1Database;
  notifier: Notifier;
  now: number;
}

function noticeKey(gate: GateRow, what: "expiring" | "expired"): IdempotencyKey {
  return idempotencyKey(gate.run_id, `gate:${gate.kind}#${gate.seq}/${what}`);
}

function gateOf(gate: GateRow): NonNullable<Notification["gate"]> {
  return { id: gate.id, kind: gate.kind, seq: gate.seq, deadlineAt: gate.deadline_at };
}

async function jobOf(db: D1Database, gate: GateRow): Promise<string> {
  return (await getRun(db, gate.run_id))?.job ?? "nightshift";
}

/** "About to expire", once per gate; false when it was sent already or the gate is no longer pending. */
export async function noticeGateExpiring(ctx: NoticeContext, gate: GateRow): Promise<boolean> {
  if (!(await claimExpiryWarning(ctx.db, gate.id, ctx.now))) return false;
  const due = decideBy(gate);
  const minutes = Math.max(1, Math.round((due.at - ctx.now) / 60_000));
  const when = new Date(due.at).toISOString();
  await ctx.notifier.notify({
    idempotencyKey: noticeKey(gate, "expiring"),
    runId: gate.run_id,
    kind: "gate.expiring",
    title:
      due.because === "account_expiry"
        ? `${await jobOf(ctx.db, gate)}: the account to claim expires in ${minutes} min`
        : `${await jobOf(ctx.db, gate)}: ${gate.kind} gate expires in ${minutes} min`,
    body:
      due.because === "account_expiry"
        ? `Run ${gate.run_id} waits at the claim gate; its temporary account expires at ${when} and cannot be claimed after that (the gate itself times out at ${new Date(gate.deadline_at).toISOString()}).`
        : `Run ${gate.run_id} still waits at the ${gate.kind} gate; undecided, it expires at ${when}.`,
    links: [],
    gate: gateOf(gate),
  });
  return true;
}

/** "Expired", once per gate; false when it was sent already or the gate did not expire. */
export async function noticeGateExpired(ctx: NoticeContext, gate: GateRow): Promise<boolean> {
  if (!(await claimExpiryNotice(ctx.db, gate.id, ctx.now))) return false;
  await ctx.notifier.notify({
    idempotencyKey: noticeKey(gate, "expired"),
    runId: gate.run_id,
    kind: "gate.expired",
    title: `${await jobOf(ctx.db, gate)}: ${gate.kind} gate expired`,
    body: `Nobody decided the ${gate.kind} gate of run ${gate.run_id} by its deadline, ${new Date(gate.deadline_at).toISOString()}; it can no longer be approved.`,
    links: [],
    gate: gateOf(gate),
  });
  return true;
}
