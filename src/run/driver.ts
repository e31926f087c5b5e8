/**
 * The loop driver: asks the machine for the effect its state names, performs
 * it as one durable step, feeds the result back as an event. Workflows re-runs
 * `run()` from the top on every wake-up and hands back cached step results, so
 * this must produce the same step names in the same order from the same
 * results; it does, because the machine is pure and names come from its state.
 *
 * Generic over `StepRunner` so the same code runs under Cloudflare Workflows
 * (`workflow.ts`) and under a recording runner in tests.
 */
import type { OpenedGate } from "../gates/open.ts";
import { initialTransition, transition } from "xstate";
import { currentEffect, type EffectRequest, type LoopSnapshot, stateName } from "../loop/effect-of.ts";
import { type GateEffectKind, isGateEffect, type WorkEffectKind } from "../loop/effects.ts";
import { loopMachine } from "../loop/machine.ts";
import type { LoopEvent, LoopInput } from "../loop/types.ts";
import { sleepBefore } from "../loop/sleeps.ts";
import { FINISH_STEP, INIT_STEP, type StepName, stepName } from "../loop/step-names.ts";
import { type StepPolicy, stepPolicy } from "./step-policy.ts";

export interface WaitOutcome {
  timedOut: boolean;
}

/** The three durable primitives the driver needs; Workflows' `step` provides them. */
export interface StepRunner {
  do<T extends object>(name: StepName, policy: StepPolicy, fn: () => Promise<T>): Promise<T>;
  sleep(name: StepName, ms: number): Promise<void>;
  waitForEvent(name: StepName, options: { type: string; timeoutMs: number }): Promise<WaitOutcome>;
}

/** What the driver asks of the world. Each method runs inside a durable step. */
export interface LoopEffects {
  init(): Promise<LoopInput>;
  work(
    effect: EffectRequest & { kind: WorkEffectKind },
    name: StepName,
    snapshot: LoopSnapshot,
  ): Promise<LoopEvent>;
  openGate(effect: EffectRequest & { kind: GateEffectKind }, snapshot: LoopSnapshot): Promise<OpenedGate>;
  settleGate(
    effect: EffectRequest & { kind: GateEffectKind },
    snapshot: LoopSnapshot,
    waited: WaitOutcome & { at: OpenedGate },
  ): Promise<LoopEvent>;
  /** Records a transition (audit event + run row). Called inside the step that produced the event. */
  journal(entry: { step: StepName; from: LoopSnapshot; event: LoopEvent; to: LoopSnapshot }): Promise<void>;
  /** How long to wait after a deploy before verifying (propagation), in ms. */
  settleMs(): number;
  /** How long to wait before looking again whether an approved claim happened, in ms. */
  claimPollMs(): number;
  finish(snapshot: LoopSnapshot): Promise<void>;
}

export interface LoopResult {
  state: string;
  outcome: LoopSnapshot["context"]["outcome"];
  steps: number;
}

/** The next snapshot, pure: what the machine does with `event` in `snapshot`. */
export function next(snapshot: LoopSnapshot, event: LoopEvent): LoopSnapshot {
  return transition(loopMachine, snapshot, event)[0];
}

/**
 * Drives the loop to a final state: from `init`, or — a resumed run — from the snapshot its last
 * completed step recorded (`restoreSnapshot`), whose next step then runs under the name, and
 * so the idempotency key, it had before.
 */
export async function driveLoop(
  runner: StepRunner,
  effects: LoopEffects,
  resumeAt?: LoopSnapshot,
): Promise<LoopResult> {
  let snapshot =
    resumeAt ??
    initialTransition(loopMachine, await runner.do(INIT_STEP, stepPolicy("init"), () => effects.init()))[0];
  let steps = 0;
  for (let effect = currentEffect(snapshot); effect; effect = currentEffect(snapshot)) {
    const from = snapshot;
    const event = isGateEffect(effect.kind)
      ? await passGate(runner, effects, { ...effect, kind: effect.kind }, from)
      : await doWork(runner, effects, { ...effect, kind: effect.kind as WorkEffectKind }, from);
    snapshot = next(from, event);
    steps += 1;
  }
  const final = snapshot;
  await runner.do(FINISH_STEP, stepPolicy("finish"), async () => {
    await effects.finish(final);
    return {};
  });
  return { state: stateName(final), outcome: final.context.outcome, steps };
}

async function doWork(
  runner: StepRunner,
  effects: LoopEffects,
  effect: EffectRequest & { kind: WorkEffectKind },
  from: LoopSnapshot,
): Promise<LoopEvent> {
  const name = stepName(effect);
  const sleep = sleepBefore(effect, from.context, {
    settleMs: effects.settleMs(),
    claimPollMs: effects.claimPollMs(),
  });
  if (sleep) await runner.sleep(stepName(effect, sleep.phase), sleep.ms);
  return runner.do(name, stepPolicy(effect.kind), async () => {
    const event = await effects.work(effect, name, from);
    await effects.journal({ step: name, from, event, to: next(from, event) });
    return event;
  });
}

async function passGate(
  runner: StepRunner,
  effects: LoopEffects,
  effect: EffectRequest & { kind: GateEffectKind },
  from: LoopSnapshot,
): Promise<LoopEvent> {
  const opened = await runner.do(stepName(effect, "open"), stepPolicy("gate"), () =>
    effects.openGate(effect, from),
  );
  const waited = await runner.waitForEvent(stepName(effect), {
    type: opened.eventType,
    timeoutMs: Math.max(1_000, opened.deadlineAt - opened.openedAt),
  });
  const settle = stepName(effect, "settle");
  return runner.do(settle, stepPolicy("gate"), async () => {
    const event = await effects.settleGate(effect, from, { ...waited, at: opened });
    await effects.journal({ step: settle, from, event, to: next(from, event) });
    return event;
  });
}
