/**
 * The Verifier port's contract, written once and run against the HTTP
 * verifier (a real HTTP server, commands in a real local Sandbox) and the test
 * fake. What a Verifier promises (src/ports/verifier.ts): a structured report
 * of the schema's shape for the URL it was asked about; `passed` exactly when
 * every check passed; a failing check says what it expected and what came back;
 * one check per declared probe, then per command.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandCheck, Probe } from "../../src/jobs/schema.ts";
import type { Sandbox } from "../../src/ports/sandbox.ts";
import { type Verifier, type VerifyReport, verifyReportSchema } from "../../src/ports/verifier.ts";
import { asIdempotencyKey } from "../../src/ports/vocabulary.ts";

/** What a verification looks at: a deployment, the checks the job declares, the run's Sandbox. */
export interface VerifyScene {
  url: string;
  probes: Probe[];
  commands: CommandCheck[];
  sandbox: Sandbox;
}

export interface VerifierContractTarget {
  verifier: Verifier;
  /** A scene whose checks all hold, or one where some do not. */
  arrange(outcome: "pass" | "fail", runId: string): Promise<VerifyScene>;
  dispose(): Promise<void>;
}

/** Known departures, declared by the runner: their tests are expected to fail until fixed. */
export type VerifierGap = "ignores-declared-checks";

export function verifierContract(
  label: string,
  options: { gaps?: readonly VerifierGap[] },
  makeTarget: () => Promise<VerifierContractTarget>,
): void {
  describe(`Verifier contract: ${label}`, () => {
    let t: VerifierContractTarget;
    let n = 0;
    const gap = (name: VerifierGap) => (options.gaps?.includes(name) ? it.fails : it);
    const verify = async (
      outcome: "pass" | "fail",
    ): Promise<{ scene: VerifyScene; report: VerifyReport }> => {
      const runId = `contract-${Date.now().toString(36)}-${n++}`;
      const scene = await t.arrange(outcome, runId);
      const report = await t.verifier.verify({
        idempotencyKey: asIdempotencyKey(`${runId}:verify#1`),
        runId,
        ...scene,
      });
      return { scene, report };
    };

    beforeAll(async () => {
      t = await makeTarget();
    });
    afterAll(async () => {
      await t?.dispose();
    });

    it("reports on the URL it was asked about, in the schema's shape", async () => {
      for (const outcome of ["pass", "fail"] as const) {
        const { scene, report } = await verify(outcome);
        expect(verifyReportSchema.strict().parse(report)).toEqual(report);
        expect(report.url).toBe(scene.url);
        expect(report.checks.length).toBeGreaterThan(0);
        for (const check of report.checks) expect(check.durationMs).toBeGreaterThanOrEqual(0);
      }
    });

    it("passes when every check holds", async () => {
      const { report } = await verify("pass");
      expect(report.checks.map((c) => c.passed)).not.toContain(false);
      expect(report.passed).toBe(true);
    });

    it("fails when a check does not hold, saying what it expected and what came back", async () => {
      const { report } = await verify("fail");
      expect(report.passed).toBe(false);
      const failed = report.checks.filter((c) => !c.passed);
      expect(failed.length).toBeGreaterThan(0);
      for (const check of failed) {
        expect(check.expected).not.toBe("");
        expect(check.actual).not.toBe(check.expected);
      }
    });

    gap("ignores-declared-checks")("makes one check per declared probe, then per command", async () => {
      for (const outcome of ["pass", "fail"] as const) {
        const { scene, report } = await verify(outcome);
        expect(report.checks.map((c) => c.kind)).toEqual([
          ...scene.probes.map(() => "probe"),
          ...scene.commands.map(() => "command"),
        ]);
      }
    });
  });
}
