/** The shared words stay true to the machine and the gates they name. */
import { describe, expect, it } from "vitest";
import { GATE_EFFECTS } from "../../src/loop/effects.ts";
import { loopMachine } from "../../src/loop/machine.ts";
import { GATE_KINDS, gateEventType, parseGateRef, RUN_STATES } from "../../src/ports/vocabulary.ts";

describe("the vocabulary", () => {
  it("lists every state of the loop machine, in its order", () => {
    expect([...RUN_STATES]).toEqual(Object.keys(loopMachine.states));
  });

  it("has one gate effect per gate kind, and every gate state of the machine names one", () => {
    expect([...GATE_EFFECTS]).toEqual(GATE_KINDS.map((k) => `gate:${k}`));
    const effects = Object.values(loopMachine.states)
      .map((s) => (s.meta as { effect?: string } | undefined)?.effect)
      .filter((e): e is string => Boolean(e?.startsWith("gate:")));
    expect(new Set(effects)).toEqual(new Set(GATE_EFFECTS));
  });

  it("parses gate names people type, and only those", () => {
    expect(parseGateRef("claim")).toEqual({ kind: "claim", seq: null });
    expect(parseGateRef("dns-2")).toEqual({ kind: "dns", seq: 2 });
    expect(parseGateRef("deploy-1")).toBeNull();
    expect(parseGateRef("Claim")).toBeNull();
    expect(parseGateRef("claim-")).toBeNull();
    expect(gateEventType("rollback", 3)).toMatch(/^[a-zA-Z0-9_][a-zA-Z0-9-_]*$/);
  });
});
