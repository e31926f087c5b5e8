/** A persisted snapshot, restored mid-run, behaves exactly like the live one. */
import { describe, expect, it } from "vitest";
import { currentEffect, type LoopSnapshot } from "../../src/loop/effect-of.ts";
import { loopMachine } from "../../src/loop/machine.ts";
import type { LoopEvent } from "../../src/loop/types.ts";
import { ev, HOUR, run, start, stateName, step, T0 } from "./helpers.ts";

function roundTrip(s: LoopSnapshot): LoopSnapshot {
  const json = JSON.stringify(loopMachine.getPersistedSnapshot(s));
  const persisted = JSON.parse(json) as { value: string; context: LoopSnapshot["context"] };
  return loopMachine.resolveState({ value: persisted.value, context: persisted.context });
}

const script: LoopEvent[] = [
  ev.prepared(),
  ev.written(1),
  ev.deployed(),
  ev.failed(),
  ev.written(2),
  ev.deployed(),
  ev.passed(),
  ev.approve("claim", T0 + 2 * HOUR),
  ev.deployed(T0 + 2 * HOUR + 1, T0 + 3 * HOUR),
  ev.passed(T0 + 2 * HOUR + 2),
  ev.approve("claim", T0 + 2 * HOUR + 3),
  ev.promoted(T0 + 2 * HOUR + 4),
];

describe("persisted snapshots", () => {
  it.each(script.map((_, i) => [i]))("restored after %i events, the rest of the run is identical", (cut) => {
    const live = run(start(), script);
    const head = run(start(), script.slice(0, cut)).snapshot;
    const restored = run(roundTrip(head), script.slice(cut));
    expect(stateName(restored.snapshot)).toBe(stateName(live.snapshot));
    expect(restored.snapshot.context).toEqual(live.snapshot.context);
    expect(restored.effects).toEqual(live.effects.slice(cut));
  });

  it("keeps the effect sequence numbers across a restore", () => {
    const head = run(start(), script.slice(0, 4)).snapshot;
    expect(currentEffect(roundTrip(head))).toEqual(currentEffect(head));
    expect(currentEffect(step(roundTrip(head), ev.written(2)))).toEqual({ kind: "deploy", seq: 2 });
  });
});
