/**
 * A newcomer's first morning, end to end, with nothing but what the README gives: the real
 * `nightshift start` (which runs the example job to its claim gate), the real CLI for the
 * terminal side, and a real browser for the inbox and the emulator's claim page. They read the
 * change, approve, are told that someone must now claim the account, claim it, and see the run
 * finish — in the browser and in `nightshift logs --follow`.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser.ts";
import { fourFreePorts } from "../support/ports.ts";
import { ROOT, until } from "./local-stack.ts";

const run = promisify(execFile);

let stateDir: string;
let url: string;
let cli: ChildProcess;
let output = "";
let browser: Browser;
let page: Page;
let runId: string;

/** The CLI as a newcomer types it, against this stack, with the token `start` wrote. */
async function nightshift(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const token = (await readFile(join(stateDir, "token"), "utf8")).trim();
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, NIGHTSHIFT_URL: url, NIGHTSHIFT_TOKEN: token, NO_COLOR: "1" },
      timeout: 240_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "nightshift-newcomer-"));
  const port = await fourFreePorts();
  url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NIGHTSHIFT_TOKEN;
  cli = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "start", "--port", String(port), "--state-dir", stateDir],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  cli.stdout?.on("data", collect);
  cli.stderr?.on("data", collect);
  await until(
    "the example run to wait at its gate",
    async () => (output.includes("Ctrl-C stops everything") ? true : undefined),
    240_000,
  );
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (cli && cli.exitCode === null) {
    const exited = new Promise((resolve) => cli.once("exit", resolve));
    cli.kill("SIGINT");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (cli.exitCode === null) cli.kill("SIGKILL");
  }
  await rm(stateDir, { recursive: true, force: true });
}, 60_000);

describe("a newcomer's first run", () => {
  it("sees the example run wait at its claim gate, in the terminal start printed and in `runs`", async () => {
    const started = /example +run (\S+) of hello-kv/.exec(output);
    expect(started, output).not.toBeNull();
    runId = started![1]!;
    // The start-up screen names the inbox to open and where the token is.
    expect(output).toContain(`${url}/inbox`);
    expect(output).toContain(join(stateDir, "token"));

    const runs = await nightshift("runs");
    expect(runs.code).toBe(0);
    const line = runs.stdout.split("\n").find((l) => l.includes(runId));
    expect(line).toMatch(/awaitingClaim/);
    const gates = await nightshift("gates");
    expect(gates.stdout).toMatch(new RegExp(`${runId}.*claim`));
  });

  it("signs in to the inbox with the token start wrote, and reads the change before deciding", async () => {
    const token = (await readFile(join(stateDir, "token"), "utf8")).trim();
    const first = await page.goto(`${url}/inbox`);
    expect(first?.status()).toBe(401);
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${url}/inbox`);

    await page.locator(`tr[data-gate="${runId}:claim:1"] a`).first().click();
    await page.waitForURL(`${url}/inbox/runs/${runId}/gates/claim-1`);
    // The change comes first: the file list and the unified diff of the run's whole change.
    await expect(page.getByRole("heading", { name: "Diff" }).count()).resolves.toBe(1);
    const diff = await page.locator("pre.diff").first().textContent();
    expect(diff).toContain("return Response.json({ count: visits });");
    await expect(page.locator("details summary code").first().textContent()).resolves.toBe("src/index.ts");
    // And the report the approval rests on.
    await expect(page.getByRole("heading", { name: "Verification report" }).count()).resolves.toBe(1);
  });

  it("approves, and is told that someone must now claim the account, with the time left", async () => {
    await page.getByLabel("Reason (required to reject)").fill("counter counts");
    await page.getByRole("button", { name: "Approve" }).click();
    await page.waitForURL(new RegExp(`/inbox/runs/${runId}\\?decided=`));
    // The run page says what it now waits for: a human to claim, before the account expires.
    await page.waitForFunction(() => document.getElementById("waiting-for") !== null, undefined, {
      timeout: 60_000,
    });
    const waiting = await page.locator("#waiting-for").textContent();
    expect(waiting).toMatch(/claim the temporary account/);
    expect(waiting).toMatch(/left/);
    // The terminal says the same.
    const { stdout } = await nightshift("runs", "--json");
    const listed = (
      JSON.parse(stdout) as { runs: Array<{ id: string; waitingFor: { kind: string } | null }> }
    ).runs;
    expect(listed.find((r) => r.id === runId)?.waitingFor?.kind).toBe("claim");
  });

  it("claims on the claim page the gate links, and sees the run finish in the browser and the CLI", async () => {
    await page.goto(`${url}/inbox/runs/${runId}/gates/claim-1`);
    const claimUrl = await page.locator("dt:text('Claim URL') + dd a").first().getAttribute("href");
    expect(claimUrl).toMatch(/\/claim\//);
    const claimPage = await browser.newPage();
    await claimPage.goto(claimUrl!);
    await claimPage.getByRole("button", { name: "Sign in and claim" }).click();
    await expect(claimPage.locator("h1").textContent()).resolves.toMatch(/claimed/i);
    await claimPage.close();

    const followed = await nightshift("logs", runId, "--follow");
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout + followed.stderr).toMatch(new RegExp(`run ${runId} ended: succeeded`));

    await page.goto(`${url}/inbox/runs/${runId}`);
    await expect(page.locator("#run-state").textContent()).resolves.toBe("succeeded");
    await expect(page.locator("#waiting-for").count()).resolves.toBe(0);
  });

  it("runs it again from the terminal, and can stop that run", async () => {
    const again = await nightshift("rerun", runId);
    expect(again.code, again.stderr).toBe(0);
    const newId = /^(\S+): started again from /m.exec(again.stdout + again.stderr)?.[1];
    expect(newId).toBeDefined();
    expect(newId).not.toBe(runId);
    const cancelled = await nightshift("cancel", newId!, "--reason", "only trying");
    expect(cancelled.code, cancelled.stderr).toBe(0);
  });
});

declare const document: { getElementById(id: string): unknown };
