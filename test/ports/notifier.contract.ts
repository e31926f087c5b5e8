/**
 * The Notifier port's contract, written once and run against the webhook
 * notifier (a real HTTP receiver) and the test fake. What a Notifier promises
 * (src/ports/notifier.ts): each of the six kinds reaches the channel with its
 * key; a notification is idempotent per key, so a retried step does not tell
 * humans twice; a broken channel never fails the caller (a run cannot fail on
 * chat).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Notification, Notifier } from "../../src/ports/notifier.ts";
import { asIdempotencyKey, type GateKind } from "../../src/ports/vocabulary.ts";

export interface NotifierContractTarget {
  notifier: Notifier;
  /** What reached the channel for a run so far, in order: one entry per delivery. */
  delivered(runId: string): Promise<Array<{ key: string; kind: string }>>;
  /** Makes the channel refuse every delivery from now on; absent where a channel cannot break. */
  breakChannel?(): void;
  dispose(): Promise<void>;
}

/** Known departures, declared by the runner: their tests are expected to fail until fixed. */
export type NotifierGap = "delivers-a-repeated-key-again";

const KINDS: Notification["kind"][] = [
  "gate.opened",
  "gate.expiring",
  "gate.expired",
  "run.finished",
  "run.failed",
  "job.paused",
];

function notification(runId: string, step: string, kind: Notification["kind"]): Notification {
  return {
    idempotencyKey: asIdempotencyKey(`${runId}:${step}`),
    runId,
    kind,
    title: `${kind} for ${runId}`,
    body: "The contract's notification.",
    links: [{ label: "Open", url: `https://ns.example/runs/${runId}` }],
    ...(kind.startsWith("gate.")
      ? { gate: { id: `${runId}:claim:1`, kind: "claim" as GateKind, seq: 1, deadlineAt: 1_900_000_000_000 } }
      : {}),
  };
}

export function notifierContract(
  label: string,
  /** `channelCanBreak`: the target can make its channel refuse (`breakChannel`); the fake's cannot. */
  options: { channelCanBreak?: boolean; gaps?: readonly NotifierGap[] },
  makeTarget: () => Promise<NotifierContractTarget>,
): void {
  describe(`Notifier contract: ${label}`, () => {
    let t: NotifierContractTarget;
    let n = 0;
    const runId = () => `contract-${Date.now().toString(36)}-${n++}`;
    const gap = (name: NotifierGap) => (options.gaps?.includes(name) ? it.fails : it);

    beforeAll(async () => {
      t = await makeTarget();
    });
    afterAll(async () => {
      await t?.dispose();
    });

    it("delivers a notification once, carrying its key and kind", async () => {
      const run = runId();
      const note = notification(run, "gate:claim#1/open", "gate.opened");
      expect(await t.notifier.notify(note)).toBeUndefined();
      expect(await t.delivered(run)).toEqual([{ key: note.idempotencyKey, kind: "gate.opened" }]);
    });

    it("delivers every kind, each key on its own, in order", async () => {
      const run = runId();
      const notes = KINDS.map((kind, i) => notification(run, `step#${i}`, kind));
      for (const note of notes) await t.notifier.notify(note);
      expect(await t.delivered(run)).toEqual(
        notes.map((note) => ({ key: note.idempotencyKey, kind: note.kind })),
      );
    });

    gap("delivers-a-repeated-key-again")(
      "does not deliver a repeated key again (a retried step)",
      async () => {
        const run = runId();
        const note = notification(run, "finish#1", "run.finished");
        await t.notifier.notify(note);
        await t.notifier.notify(note);
        await t.notifier.notify({ ...note, title: "the same key, told differently" });
        expect(await t.delivered(run)).toHaveLength(1);
      },
    );

    // Registered only where the channel can break (not reported as skipped elsewhere).
    if (options.channelCanBreak)
      it("resolves when the channel refuses: a broken channel never fails the caller", async () => {
        expect(t.breakChannel, "a target whose channel can break says how").toBeDefined();
        t.breakChannel!();
        const run = runId();
        await expect(
          t.notifier.notify(notification(run, "gate:claim#1/expired", "gate.expired")),
        ).resolves.toBeUndefined();
        expect(await t.delivered(run)).toEqual([]);
      });
  });
}
