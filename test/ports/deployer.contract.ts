/**
 * The Deployer port's contract, written once and run against the wrangler
 * --temporary deployer (real wrangler in a real local Sandbox, the Cloudflare
 * API emulator) and the test fake. What a Deployer promises
 * (src/ports/deployer.ts): a deploy answers in the output schema's shape, into
 * a temporary account that is reused until a fresh one is asked for, or with a
 * documented failure code as a value; a retried deploy with the same key gets
 * the first answer and uploads nothing again; `observe` reads the version the
 * deploy made live and the claim state, changing nothing; promotion by claim
 * waits (`pending`) until the account is claimed, then is `done`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Deployer,
  type DeployOutput,
  type DeployRequest,
  deployOutputSchema,
} from "../../src/ports/deployer.ts";
import type { Sandbox } from "../../src/ports/sandbox.ts";
import { asIdempotencyKey, DEPLOY_ERROR_CODES, type TemporaryAccount } from "../../src/ports/vocabulary.ts";

export interface DeployerContractTarget {
  deployer: Deployer;
  /** The run's Sandbox with a Worker project in /workspace (shared by the contract's calls). */
  project: { runId: string; sandbox: Sandbox; workerName: string; config: string };
  /** How many uploads of the Worker reached Cloudflare so far. */
  uploads(): Promise<number>;
  /** Someone uses the account's claim URL. */
  claim(account: TemporaryAccount): Promise<void>;
  /** Leaves the project so it cannot build, until `undo` is called (where `options.builds`). */
  breakBuild?(): Promise<{ undo(): Promise<void> }>;
  dispose(): Promise<void>;
}

/** Known departures, declared by the runner: their tests are expected to fail until fixed. */
export type DeployerGap = "deploys-a-repeated-key-again" | "promotes-unclaimed";

export function deployerContract(
  label: string,
  /** `builds`: the implementation builds the project (a build can fail); the fake does not. */
  options: { builds?: boolean; gaps?: readonly DeployerGap[] },
  makeTarget: () => Promise<DeployerContractTarget>,
): void {
  describe(`Deployer contract: ${label}`, () => {
    let t: DeployerContractTarget;
    let n = 0;
    const gap = (name: DeployerGap) => (options.gaps?.includes(name) ? it.fails : it);
    const request = (over: Partial<DeployRequest> = {}): DeployRequest => ({
      idempotencyKey: asIdempotencyKey(`${t.project.runId}:deploy#${++n}-${Date.now().toString(36)}`),
      runId: t.project.runId,
      workerName: t.project.workerName,
      config: t.project.config,
      freshAccount: false,
      sandbox: t.project.sandbox,
      ...over,
    });
    const deployed = async (over: Partial<DeployRequest> = {}): Promise<DeployOutput> => {
      const result = await t.deployer.deploy(request(over));
      if (!result.ok) throw new Error(`deploy failed: ${result.error.code}: ${result.error.message}`);
      return result.value;
    };

    beforeAll(async () => {
      t = await makeTarget();
    });
    afterAll(async () => {
      await t?.dispose();
    });

    it("deploys into a temporary account, answering in the output schema's shape", async () => {
      const started = Date.now();
      const out = await deployed({ freshAccount: true });
      expect(deployOutputSchema.strict().parse(out)).toEqual(out);
      expect(out.account.expiresAt).toBeGreaterThan(started);
      expect(out.account.claimExpiresAt).toBeGreaterThan(started);
    });

    it("reuses the account until a fresh one is asked for", async () => {
      const a = await deployed();
      const b = await deployed();
      expect(b.account.id).toBe(a.account.id);
      expect(b.url).toBe(a.url);
      const fresh = await deployed({ freshAccount: true });
      expect(fresh.account.id).not.toBe(a.account.id);
    });

    gap("deploys-a-repeated-key-again")(
      "gives a retried deploy with the same key the first answer, uploading nothing again",
      async () => {
        const same = request();
        const first = await t.deployer.deploy(same);
        const uploads = await t.uploads();
        const again = await t.deployer.deploy(same);
        expect(again).toEqual(first);
        expect(await t.uploads()).toBe(uploads);
      },
    );

    it("observes the version the deploy made live and an unclaimed account, changing nothing", async () => {
      const out = await deployed({ freshAccount: true });
      const uploads = await t.uploads();
      const seen = await t.deployer.observe({
        runId: t.project.runId,
        workerName: t.project.workerName,
        account: out.account,
      });
      expect(seen.version).toEqual({ id: out.versionId, where: "temporary" });
      expect(seen.claim).toMatchObject({ status: "unclaimed", at: null });
      expect(await t.uploads()).toBe(uploads);
    });

    // Registered only where something builds (not reported as skipped elsewhere).
    if (options.builds)
      it("fails a build as a value with a documented code", async () => {
        expect(t.breakBuild, "a target that builds can break its build").toBeDefined();
        const broken = await t.breakBuild!();
        const result = await t.deployer.deploy(request()).finally(() => broken.undo());
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(DEPLOY_ERROR_CODES).toContain(result.error.code);
        expect(result.error.code).toBe("build_error");
        expect(result.error.message).not.toBe("");
      });

    gap("promotes-unclaimed")("promotes by claim: pending while unclaimed, done once claimed", async () => {
      const out = await deployed({ freshAccount: true });
      const promote = (step: string) =>
        t.deployer.promote({
          idempotencyKey: asIdempotencyKey(`${t.project.runId}:promote#${step}-${Date.now().toString(36)}`),
          runId: t.project.runId,
          mode: "claim",
          workerName: t.project.workerName,
          config: t.project.config,
          account: out.account,
          deploymentUrl: out.url,
          sandbox: t.project.sandbox,
          now: Date.now(),
        });
      expect(await promote("1")).toMatchObject({ ok: true, value: { status: "pending" } });
      await t.claim(out.account);
      expect(await promote("2")).toMatchObject({ ok: true, value: { status: "done", url: out.url } });
      const seen = await t.deployer.observe({
        runId: t.project.runId,
        workerName: t.project.workerName,
        account: out.account,
        claimOnly: true,
      });
      expect(seen.claim.status).toBe("claimed");
    });
  });
}
