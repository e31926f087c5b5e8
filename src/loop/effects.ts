/**
 * The effects the loop machine can ask for, one per non-final state. The run
 * driver maps each to a durable step. Pure vocabulary, no I/O.
 */
import { GATE_KINDS, type GateKind } from "../ports/vocabulary.ts";

export const WORK_EFFECTS = [
  "prepare",
  "write",
  "fix",
  "deploy",
  "verify",
  "promote",
  "planDns",
  "applyDns",
] as const;
export type GateEffectKind = `gate:${GateKind}`;
export const GATE_EFFECTS: readonly GateEffectKind[] = GATE_KINDS.map((kind) => `gate:${kind}` as const);
export const EFFECT_KINDS: readonly EffectKind[] = [...WORK_EFFECTS, ...GATE_EFFECTS];

export type WorkEffectKind = (typeof WORK_EFFECTS)[number];
export type EffectKind = WorkEffectKind | GateEffectKind;

export function isGateEffect(kind: EffectKind): kind is GateEffectKind {
  return kind.startsWith("gate:");
}

export function gateKindOf(kind: GateEffectKind): GateKind {
  return kind.slice("gate:".length) as GateKind;
}
