/**
 * What a run is waiting for, in one sentence, wherever a run is shown (the
 * API's `waitingFor`, the inbox's run page and list, the CLI): a decision at a
 * gate until its one deadline, or — after a claim gate was approved — a human
 * to claim the temporary account before it expires. Null when the run is busy
 * or final. Never the claim URL itself (a credential): the gate page shows it
 * to those who may see it. Pure.
 */
import type { LoopContext } from "../loop/types.ts";
import type { GateKind } from "../ports/vocabulary.ts";
import { decideBy } from "../store/gates.ts";
import type { GateRow, RunRow } from "../store/rows.ts";

export interface WaitingFor {
  kind: "gate" | "claim";
  /** The pending gate, for `kind: "gate"`. */
  gate: { kind: GateKind; seq: number } | null;
  /** A sentence for people: "a decision at the claim gate", "someone to claim the temporary account". */
  what: string;
  /** When it stops mattering (the gate's one deadline, the account's expiry), or null when unknown. */
  until: number | null;
}

const ASK: Record<GateKind, string> = {
  tos: "a legal sign-off at the tos gate (terms of service)",
  claim: "a decision at the claim gate",
  dns: "a decision at the dns gate (production DNS change)",
  rollback: "a decision at the rollback gate",
};

export function waitingFor(
  run: Pick<RunRow, "status" | "state" | "context_json">,
  gates: readonly GateRow[],
): WaitingFor | null {
  if (run.status === "final") return null;
  const pending = gates.find((g) => g.status === "pending");
  if (pending)
    return {
      kind: "gate",
      gate: { kind: pending.kind, seq: pending.seq },
      what: ASK[pending.kind],
      until: decideBy(pending).at,
    };
  const ctx = run.context_json as LoopContext | null;
  if (run.state === "promoting" && ctx?.claimPending)
    return {
      kind: "claim",
      gate: null,
      what: "someone to claim the temporary account at its claim URL (on the claim gate's page)",
      until: ctx.account?.expiresAt ?? null,
    };
  return null;
}
