/**
 * The run Workflow: a `WorkflowEntrypoint` whose `run()` is the loop driver
 * over Workflows' durable step primitives. The machine decides, the Workflow
 * remembers, the ports act. Ports come from a factory so production, local
 * mode and tests wire their own adapters into the same class.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { Env } from "../env.ts";
import type { LoopContext, LoopInput } from "../loop/types.ts";
import type { Ports } from "../ports/index.ts";
import { driveLoop, type LoopEffects, type LoopResult, type StepRunner } from "./driver.ts";
import { openRunGate } from "../gates/open.ts";
import { settleRunGate } from "../gates/settle.ts";
import { noteEarlyClaimAtSettle } from "./bound-approval.ts";
import { writeJournal } from "./journal.ts";
import { type ResumedFrom, type RunParams, workflowInstanceId } from "../jobs/run-params.ts";
import { appendEvent } from "../store/events.ts";
import { abortFaultOf, noteOutage, watchFaults } from "./outages.ts";
import { performWork } from "./perform.ts";
import { tosSignedOff } from "./signoff.ts";
import type { RunEnv } from "./run-env.ts";
import { type StepPolicy, stepPolicy } from "./step-policy.ts";
import { abortStep, resumeStep } from "../loop/step-names.ts";
import { restoreSnapshot } from "../loop/restore.ts";
import { abortRun, finishRun } from "./finish.ts";
import { currentEffect } from "../loop/effect-of.ts";
import { type SleepDurations, sleepBefore } from "../loop/sleeps.ts";

export type PortsFactory = (env: Env) => Ports;

/** Adapts Workflows' `step` to the driver's runner; a wait timeout becomes a value. */
export function workflowRunner(
  step: WorkflowStep,
  tune: (policy: StepPolicy) => StepPolicy = (p) => p,
): StepRunner {
  return {
    // Step results are plain JSON values (events, small records); the cast bridges the generic
    // `Rpc.Serializable` constraint, which TypeScript cannot prove for a type parameter.
    do: <T extends object>(name: string, policy: StepPolicy, fn: () => Promise<T>) => {
      const { retries, timeout } = tune(policy);
      return step.do(name, { retries, timeout }, fn as () => Promise<never>) as Promise<T>;
    },
    sleep: (name, ms) => step.sleep(name, ms),
    async waitForEvent(name, options) {
      try {
        await step.waitForEvent(name, { type: options.type, timeout: options.timeoutMs });
        return { timedOut: false };
      } catch (error) {
        // Workflows throws when the wait times out; the gate's D1 row decides what it means.
        if (isWaitTimeout(error)) return { timedOut: true };
        throw error;
      }
    },
  };
}

// The engine's WorkflowTimeoutError reaches the Workflow over RPC as a plain `Error`, so the class
// cannot be matched: match the text. Locally it reads "WorkflowTimeoutError: Execution timed out
// after 2000ms" (miniflare 5 beta, real or forced timeout alike; the alpha had no class prefix).
function isWaitTimeout(error: unknown): boolean {
  return error instanceof Error && /timed? ?out|timeout/i.test(`${error.name} ${error.message}`);
}

export function loopInputFor(params: RunParams, tosSignedOff: boolean): LoopInput {
  const { job } = params;
  return {
    runId: params.runId,
    startedAt: params.startedAt,
    budgets: {
      maxIterations: job.budgets.maxIterations,
      maxDeploys: job.budgets.maxDeploys,
      deadlineAt: params.startedAt + job.budgets.deadline,
      maxTokens: job.budgets.maxTokens,
      maxCostUsd: job.budgets.maxCostUsd,
      maxSandboxMs: job.budgets.maxSandboxMinutes * 60_000,
    },
    tosSignedOff,
    promotion: job.promotion,
    dns: job.dns !== undefined,
    gateTimeoutsMs: {
      tos: job.gates.tos.timeout,
      claim: job.gates.claim.timeout,
      dns: job.gates.dns.timeout,
      rollback: job.gates.rollback.timeout,
    },
    rollbackOf: params.rollbackOf ?? null,
  };
}

export function runEffects(env: RunEnv, params: RunParams): LoopEffects {
  const sleeps: SleepDurations = {
    settleMs: params.job.deploy.settle,
    claimPollMs: params.job.deploy.claimPoll,
  };
  return {
    init: async () => loopInputFor(params, await tosSignedOff(env)),
    work: async (effect, name, snapshot) => {
      try {
        return await performWork(env, effect, name, snapshot);
      } catch (error) {
        await noteOutage(env, name, error);
        throw error;
      }
    },
    openGate: (effect, snapshot) => openRunGate(env, effect, snapshot),
    settleGate: (effect, snapshot, waited) =>
      // A claim made while a claim gate was pending (or without its approval) is put on record.
      settleRunGate(env, effect, waited, (row) =>
        row.kind === "claim" ? noteEarlyClaimAtSettle(env, snapshot.context, row) : Promise.resolve(),
      ),
    journal: ({ step, from, event, to }) => {
      // A sleep comes next: its end goes into D1 so the sweeper can wake a run whose
      // engine forgot the sleep (local restarts).
      const nextEffect = currentEffect(to);
      const sleep = nextEffect ? sleepBefore(nextEffect, to.context, sleeps) : null;
      return writeJournal(env.db, {
        runId: env.runId,
        step,
        from,
        event,
        to,
        wakeAt: sleep && sleep.ms > 0 ? event.at + sleep.ms : null,
      });
    },
    settleMs: () => sleeps.settleMs,
    claimPollMs: () => sleeps.claimPollMs,
    finish: (snapshot) => finishRun(env, snapshot),
  };
}

export interface RunWorkflowOptions {
  /** Adjusts each step's policy for the Worker's env: a test Worker shortens retry delays. */
  tunePolicy?: (env: Env, policy: StepPolicy) => StepPolicy;
}

export function createRunWorkflow(makePorts: PortsFactory, options: RunWorkflowOptions = {}) {
  return class RunWorkflow extends WorkflowEntrypoint<Env, RunParams> {
    override async run(event: Readonly<WorkflowEvent<RunParams>>, step: WorkflowStep): Promise<LoopResult> {
      const params = event.payload;
      const env: RunEnv = {
        db: this.env.DB,
        ports: makePorts(this.env),
        job: params.job,
        runId: params.runId,
        input: params.input,
      };
      const tune = options.tunePolicy;
      const watched = watchFaults(
        workflowRunner(step, tune ? (policy) => tune(this.env, policy) : undefined),
      );
      const runner = watched.runner;
      const resumed = params.resumed;
      try {
        if (resumed) await recordResume(env, runner, resumed);
        return await driveLoop(
          runner,
          runEffects(env, params),
          resumed
            ? restoreSnapshot(resumed.state, resumed.context as LoopContext, resumed.stoppedMs)
            : undefined,
        );
      } catch (error) {
        // A step that exhausted its retries (or broke an invariant) ends the run: record it so
        // the run row, the inbox and the audit log say so instead of showing a run stuck "running".
        const fault = abortFaultOf(error, watched.last());
        await runner.do(abortStep(resumed?.count ?? 0), stepPolicy("finish"), async () => {
          await abortRun(env, fault, abortStep(resumed?.count ?? 0));
          return {};
        });
        return { state: "failed", outcome: { reason: fault.message, code: fault.code }, steps: -1 };
      }
    }
  };
}

/** A resumed instance's first step: the timeline says who resumed the run, from what, before anything runs. */
async function recordResume(env: RunEnv, runner: StepRunner, resumed: ResumedFrom): Promise<void> {
  await runner.do(resumeStep(resumed.count), stepPolicy("gate"), async () => {
    await appendEvent(env.db, {
      runId: env.runId,
      step: resumeStep(resumed.count),
      type: "run.resumed",
      actor: resumed.by,
      fromState: "failed",
      toState: resumed.state,
      data: {
        resumes: resumed.count,
        instance: workflowInstanceId(env.runId, resumed.count),
        failure: resumed.failure,
        stoppedMs: resumed.stoppedMs,
      },
      at: resumed.at,
    });
    return {};
  });
}
