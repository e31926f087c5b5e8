/**
 * Failures inspectable from the terminal: `nightshift logs` shows a failed
 * verification's failing checks on its line, with the step, and
 * `nightshift logs <run> --step <step>` prints what that step kept (the
 * verify report, the setup log). The real binary against the test Worker
 * under real `wrangler dev`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOTSTRAP_TOKEN, type LocalStack, ROOT, startLocalStack, until } from "../e2e/local-stack.ts";

let stack: LocalStack;
let dir: string;

beforeAll(async () => {
  stack = await startLocalStack();
  dir = await mkdtemp(join(tmpdir(), "nightshift-cli-logs-"));
});

afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin", "nightshift.mjs"), ...args],
      {
        cwd: dir,
        env: { ...process.env, NIGHTSHIFT_URL: stack.url, NIGHTSHIFT_TOKEN: BOOTSTRAP_TOKEN },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("nightshift logs, for a failure", () => {
  it("shows the failing checks inline and prints one step's output with --step", async () => {
    const input = join(dir, "buggy.json");
    await writeFile(input, JSON.stringify({ fake: { buggyRounds: 1 } }));
    expect((await cli(["run", "loop", "--input", input, "--id", "cli-failing"])).code).toBe(0);
    await until("the run at its claim gate", async () =>
      (await stack.call("/api/runs/cli-failing")).body.run?.state === "awaitingClaim" ? true : undefined,
    );

    const logs = await cli(["logs", "cli-failing"]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(
      /verify\.failed → fixing {2}\(system\) {2}1 of 1 check failed: no bug: expected no BUG file, got bug from round 1 {2}\[verify#1\]/,
    );

    const report = await cli(["logs", "cli-failing", "--step", "verify#1"]);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain("── the verify report (cli-failing:verify#1:report)");
    expect(report.stdout).toMatch(
      /FAIL {2}probe no bug\n {6}expected no BUG file\n {6}got {6}bug from round 1/,
    );

    const setup = await cli(["logs", "cli-failing", "--step", "prepare#1"]);
    expect(setup.stdout).toContain("── fetching the source and setup (cli-failing:prepare#1:setup-log)");
    expect(setup.stdout).not.toMatch(/\/sources\/|\/workspace/);

    const asJson = await cli(["logs", "cli-failing", "--step", "verify#1", "--json"]);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ step: "verify#1", parts: [{ kind: "verify-report" }] });

    const missing = await cli(["logs", "cli-failing", "--step", "deploy#9"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/no step "deploy#9" \(its steps: prepare#1, write#1/);
    await stack.call("/api/runs/cli-failing/cancel", { method: "POST", json: {} });
  });
});
