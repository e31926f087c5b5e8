/**
 * Reads a machine snapshot: which effect its state names (from `meta.effect`)
 * and how many times that kind has been entered. Pure.
 */
import type { SnapshotFrom } from "xstate";
import type { EffectKind } from "./effects.ts";
import type { LoopMachine } from "./machine.ts";

export type LoopSnapshot = SnapshotFrom<LoopMachine>;

export interface EffectRequest {
  kind: EffectKind;
  /** 1 for the first time this kind of effect runs in the run, 2 for the second… */
  seq: number;
}

/** The effect the snapshot's state asks for, or null in a final state. */
export function currentEffect(snapshot: LoopSnapshot): EffectRequest | null {
  if (snapshot.status === "done") return null;
  const metas = Object.values(snapshot.getMeta()) as Array<{ effect?: EffectKind } | undefined>;
  const kind = metas.find((m) => m?.effect)?.effect;
  if (!kind) throw new Error(`state ${stateName(snapshot)} names no effect`);
  return { kind, seq: snapshot.context.seq[kind] ?? 0 };
}

/** The machine is flat, so a state value is always a plain string. */
export function stateName(snapshot: LoopSnapshot): string {
  return String(snapshot.value);
}
