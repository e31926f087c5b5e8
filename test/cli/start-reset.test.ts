/**
 * `nightshift start` once per state directory, and `nightshift reset` (issue 18): the first start
 * runs the example and remembers it there, the next one does not add another run (nor another
 * temporary account) and says how to get one; the example's preview opens from its gate page
 * at the emulator's address (workers.dev has no DNS offline); wrangler's cron warning, untrue under the
 * sweeper, and the instance type warning are not printed. `reset` refuses while the stack runs
 * (as does a second start on the same state), asks for --yes when it cannot ask, and then
 * deletes the state but the token.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "../support/browser.ts";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, portTaken } from "../../src/local/net.ts";
import { until } from "../e2e/local-stack.ts";

const ROOT = join(import.meta.dirname, "..", "..");
/** No NIGHTSHIFT_TOKEN: start keeps its token in the state directory, which reset must keep. */
const { NIGHTSHIFT_TOKEN: _ignored, ...ENV } = process.env;
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

/** A port with the next three free as well: the stack takes port … port + 3. */
async function fourFreePorts(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port > 65_000) continue;
    const taken = await Promise.all([1, 2, 3].map((n) => portTaken(port + n)));
    if (!taken.includes(true)) return port;
  }
}

function cli(args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    env: ENV,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `nightshift start` until it is up (and the example, if any, waits at its gate). */
async function start(dir: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "start", "--port", String(port), "--state-dir", dir],
    { cwd: ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"] },
  );
  cleanup.push(async () => {
    child.kill("SIGKILL");
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  await until(
    "the stack to start",
    async () => (output.includes("Ctrl-C stops everything") ? true : undefined),
    150_000,
  );
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  await exited;
}

async function runIds(dir: string, port: number): Promise<string[]> {
  const token = (await readFile(join(dir, "token"), "utf8")).trim();
  const response = await fetch(`http://127.0.0.1:${port}/api/runs`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { runs: { id: string }[] };
  return body.runs.map((r) => r.id);
}

/**
 * The example waits at its claim gate: its preview's workers.dev URL has no DNS offline, so the
 * API's `previewUrl` and the gate page give the emulator's address for it, which a browser opens.
 */
async function previewOpensFromTheGatePage(dir: string, port: number, runId: string): Promise<void> {
  const token = (await readFile(join(dir, "token"), "utf8")).trim();
  const response = await fetch(`http://127.0.0.1:${port}/api/runs/${runId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const { run } = (await response.json()) as { run: { deploymentUrl: string; previewUrl: string } };
  expect(run.deploymentUrl).toMatch(/^https:\/\/hello-kv\.[a-z0-9-]+\.workers\.dev$/);
  expect(run.previewUrl).toBe(`http://127.0.0.1:${port + 1}/__workers/${new URL(run.deploymentUrl).host}/`);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const gatePage = `http://127.0.0.1:${port}/inbox/runs/${runId}/gates/claim-1`;
    await page.goto(gatePage);
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(gatePage);
    await expect(page.locator("dd", { hasText: run.deploymentUrl }).textContent()).resolves.toContain(
      "(through the local emulator)",
    );
    const local = await page.locator("#local-preview").getAttribute("href");
    expect(local).toBe(run.previewUrl);
    const preview = await page.goto(local!);
    expect(preview?.status()).toBe(200);
  } finally {
    await browser.close();
  }
}

describe("the example once per state directory, and reset", () => {
  it("runs the example on the first start only; reset refuses while it runs, then keeps only the token", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nightshift-reset-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const port = await fourFreePorts();

    const first = await start(dir, port);
    const [exampleRun] = await runIds(dir, port);
    expect(exampleRun).toMatch(/^hello-kv-/);
    expect(first.output()).toContain(`example       run ${exampleRun} of hello-kv`);
    expect(JSON.parse(await readFile(join(dir, "example.json"), "utf8"))).toMatchObject({
      runId: exampleRun,
    });
    expect(first.output()).not.toMatch(/Scheduled Workers|instance_type/);
    expect(first.output()).toContain("scheduler     fires the sweeper and the jobs' schedules every minute");
    await previewOpensFromTheGatePage(dir, port, exampleRun!);
    await stop(first.child);

    const second = await start(dir, port);
    expect(await runIds(dir, port)).toEqual([exampleRun]);
    expect(second.output()).not.toContain("example       run ");
    expect(second.output()).toContain(
      `example       started on this state already (run ${exampleRun}); --example starts another`,
    );

    // While it runs: reset refuses (conflict), and so does another start on the same state.
    const refused = cli(["reset", "--yes", "--json", "--state-dir", dir]);
    expect(refused.status).toBe(5);
    expect(JSON.parse(refused.stdout)).toEqual({
      error: {
        code: "conflict",
        message: expect.stringMatching(new RegExp(`^a stack runs on ${dir} \\(pid \\d+, port ${port}\\)`)),
      },
    });
    const again = cli(["start", "--no-example", "--port", String(port + 10), "--state-dir", dir]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`a stack already runs on ${dir}`);
    expect(await readdir(dir)).toContain("state");
    await stop(second.child);

    // Stopped: without --yes and no terminal to ask on, it says what it would delete and deletes nothing.
    const unconfirmed = cli(["reset", "--state-dir", dir]);
    expect(unconfirmed.status).toBe(2);
    expect(unconfirmed.stderr).toMatch(/reset deletes .*example\.json.*state.*; pass --yes to confirm/);
    expect(await readdir(dir)).toContain("example.json");

    const done = cli(["reset", "--yes", "--json", "--state-dir", dir]);
    expect(done.status).toBe(0);
    const report = JSON.parse(done.stdout) as { removed: string[]; kept: string[] };
    expect(report.removed).toEqual(
      expect.arrayContaining(["emulator", "example.json", "sandboxes", "state"]),
    );
    expect(report.kept).toEqual(["token"]);
    expect(await readdir(dir)).toEqual(["token"]);
    expect(cli(["reset", "--yes", "--state-dir", dir]).stdout).toContain(`nothing to reset in ${dir}`);
  }, 420_000);
});
