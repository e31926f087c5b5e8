/**
 * `npm start` owns its process tree: killed outright (SIGKILL, no clean-up runs), the
 * orchestrator's dev server it started stops too and frees its port; and a start whose port
 * is held by another process refuses, naming the port and the holder, before starting anything.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listenerOf, PortInUse, portTaken } from "../../src/local/net.ts";
import { startLocalStack } from "../../src/local/orchestrator/stack.ts";
import { until } from "../e2e/local-stack.ts";
import { fourFreePorts } from "../support/ports.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

describe("npm start's process tree", () => {
  it("refuses a port another process holds, naming it and the holder, and starts nothing", async () => {
    const port = await fourFreePorts();
    const squatter = await listen(port);
    cleanup.push(() => new Promise((r) => squatter.close(() => r())));
    const dir = await mkdtemp(join(tmpdir(), "nightshift-ports-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const started = startLocalStack({ root: ROOT, stateDir: dir, port, token: "t", egress: { keys: {} } });
    await expect(started).rejects.toBeInstanceOf(PortInUse);
    await expect(started).rejects.toThrow(
      new RegExp(`port ${port} \\(the orchestrator\\) is already in use by pid ${process.pid}: `),
    );
    // Nothing was started: the emulator's port stayed free.
    expect(await portTaken(port + 1)).toBe(false);
  });

  it("takes the orchestrator's dev server down when it is killed with SIGKILL", async () => {
    const port = await fourFreePorts();
    const dir = await mkdtemp(join(tmpdir(), "nightshift-tree-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const cli: ChildProcess = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "start",
        "--no-example",
        "--port",
        String(port),
        "--state-dir",
        dir,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, NIGHTSHIFT_TOKEN: "tree-token" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    cleanup.push(async () => {
      cli.kill("SIGKILL");
    });
    let output = "";
    cli.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    cli.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    await until(
      "the stack to start",
      async () => (output.includes("Ctrl-C stops everything") ? true : undefined),
      120_000,
    );
    const holder = await listenerOf(port);
    expect(holder).toMatch(/^pid \d+: /);
    const devServerPid = Number(/^pid (\d+)/.exec(holder!)![1]);
    expect(devServerPid).not.toBe(cli.pid);

    cli.kill("SIGKILL");
    await until(
      "the orchestrator's port to be free",
      async () => ((await portTaken(port)) ? undefined : true),
      30_000,
    );
    await until(
      "the dev server to exit",
      async () => {
        try {
          process.kill(devServerPid, 0);
          return undefined;
        } catch {
          return true;
        }
      },
      30_000,
    );
  }, 180_000);
});
