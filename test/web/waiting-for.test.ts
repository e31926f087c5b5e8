/** What a run waits for, and the timeline's folding of identical events in a row. Pure. */
import { describe, expect, it } from "vitest";
import type { GateRow, RunRow } from "../../src/store/rows.ts";
import { foldRepeats } from "../../src/web/timeline.ts";
import { waitingFor } from "../../src/web/waiting-for.ts";

const HOUR = 3_600_000;
const run = (state: string, context: Record<string, unknown> | null = null, status = "waiting") =>
  ({ state, status, context_json: context }) as Pick<RunRow, "state" | "status" | "context_json">;
const gate = (kind: GateRow["kind"], shown: Record<string, unknown> = {}, status = "pending") =>
  ({ kind, seq: 1, status, deadline_at: 24 * HOUR, shown_json: shown }) as GateRow;

describe("waitingFor", () => {
  it("names the pending gate and its one deadline (the account's expiry for a claim gate)", () => {
    expect(waitingFor(run("awaitingClaim"), [gate("claim", { accountExpiresAt: HOUR })])).toEqual({
      kind: "gate",
      gate: { kind: "claim", seq: 1 },
      what: "a decision at the claim gate",
      until: HOUR,
    });
    expect(waitingFor(run("awaitingDns"), [gate("claim", {}, "approved"), gate("dns")])?.until).toBe(
      24 * HOUR,
    );
  });

  it("after an approved claim gate, waits for a human to claim the account, until it expires", () => {
    const ctx = { claimPending: true, account: { id: "a", claimUrl: "https://secret", expiresAt: 2 * HOUR } };
    const waiting = waitingFor(run("promoting", ctx, "running"), [gate("claim", {}, "approved")]);
    expect(waiting).toMatchObject({ kind: "claim", until: 2 * HOUR });
    expect(JSON.stringify(waiting)).not.toContain("https://secret");
  });

  it("is null for a busy run and for a final one", () => {
    expect(waitingFor(run("deploying", { claimPending: false }, "running"), [])).toBeNull();
    expect(waitingFor(run("succeeded", null, "final"), [gate("claim")])).toBeNull();
  });
});

describe("foldRepeats", () => {
  it("folds identical events in a row into one with a count, and keeps the others apart", () => {
    const e = (seq: number, type: string, note = "") => ({
      seq,
      type,
      to: "promoting",
      note,
      at: seq * 30_000,
    });
    const folded = foldRepeats([
      e(1, "gate.approved"),
      e(2, "promote.pending"),
      e(3, "promote.pending"),
      e(4, "promote.pending"),
      e(5, "promote.pending", "different"),
      e(6, "promote.pending"),
    ]);
    expect(folded.map((f) => [f.first.seq, f.last.seq, f.count])).toEqual([
      [1, 1, 1],
      [2, 4, 3],
      [5, 5, 1],
      [6, 6, 1],
    ]);
  });
});
