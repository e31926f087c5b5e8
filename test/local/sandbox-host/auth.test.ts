/**
 * Issue 15: the Sandbox host authenticates its callers. Before, anyone who
 * reached its port (code in another run's Sandbox included) could run
 * commands in any Sandbox. Now every route but `/health` needs the per-start
 * bearer secret, and `/health` tells nothing a caller could use.
 */
import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalSandboxProvider } from "../../../src/adapters/sandbox/local.ts";
import { type SandboxHost, startSandboxHost } from "../../../src/local/sandbox-host/index.ts";
import { isSandboxError } from "../../../src/ports/sandbox.ts";
import { removeStateDir, spawnHost, tempStateDir } from "./host-process.ts";

let host: SandboxHost;
let stateDir: string;

beforeAll(async () => {
  stateDir = tempStateDir("auth");
  host = await startSandboxHost({ port: 0, stateDir, log: () => {} });
}, 60_000);

afterAll(async () => {
  await host?.close();
  if (stateDir) removeStateDir(stateDir);
});

const call = (path: string, init: RequestInit = {}) => fetch(`${host.url}${path}`, init);
const exec = (authorization?: string) =>
  call("/sandboxes/victim/exec", {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ command: "echo ran > /workspace/ran.txt" }),
  });

describe("the Sandbox host's bearer secret", () => {
  it("answers 401 with a JSON error without the secret, and runs nothing", async () => {
    const response = await exec();
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "unauthorized" } });
    for (const [method, path] of [
      ["GET", "/sandboxes/victim"],
      ["DELETE", "/sandboxes/victim"],
      ["GET", "/snapshots"],
      ["POST", "/sandboxes/victim/files/list"],
      ["GET", "/no-such-route"],
    ] as const) {
      const refused = await call(path, { method, ...(method === "POST" ? { body: "{}" } : {}) });
      expect(refused.status, `${method} ${path}`).toBe(401);
      await refused.body?.cancel();
    }
    const status = await createLocalSandboxProvider({ url: host.url, secret: host.secret })
      .get("victim")
      .status();
    expect(status.state).toBe("absent");
  });

  it("refuses a wrong secret, also one that differs only in length or case", async () => {
    for (const wrong of [
      "Bearer nope",
      `Bearer ${host.secret}x`,
      `Bearer ${host.secret.slice(0, -1)}`,
      `Bearer ${host.secret.toUpperCase()}`,
      host.secret,
      `Basic ${host.secret}`,
    ]) {
      const response = await exec(wrong);
      expect(response.status).toBe(401);
      await response.body?.cancel();
    }
    const wrongClient = createLocalSandboxProvider({ url: host.url, secret: "w".repeat(43) }).get("victim");
    const error = await wrongClient.exec("true").catch((e: unknown) => e);
    expect(isSandboxError(error) && error.code).toBe("unauthorized");
  });

  it("works with the right secret", async () => {
    const box = createLocalSandboxProvider({ url: host.url, secret: host.secret }).get("owner");
    const result = await box.exec("echo hello from inside");
    expect(result.stdout.trim()).toBe("hello from inside");
    expect((await exec(`Bearer ${host.secret}`)).status).toBe(200);
  });

  it("keeps /health open, without the state dir, the secret or any Sandbox's name", async () => {
    const response = await call("/health");
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ ok: true, isolation: "bwrap" });
    expect(text).not.toContain(stateDir);
    expect(text).not.toContain(host.secret);
    expect(text).not.toContain("owner");
  });

  it("refuses a secret too short to be one", async () => {
    const dir = tempStateDir("short");
    try {
      await expect(
        startSandboxHost({ port: 0, stateDir: dir, secret: "short", log: () => {} }),
      ).rejects.toThrow(/at least 16/);
    } finally {
      removeStateDir(dir);
    }
  });
});

describe("nightshift sandbox-host (the CLI)", () => {
  it("keeps its secret in a 0600 file of the state dir, never printed, and demands it", async () => {
    const dir = tempStateDir("auth-cli");
    const cli = await spawnHost({ stateDir: dir });
    try {
      const file = `${dir}/host-secret`;
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(cli.printed).toContain(file);
      expect(cli.printed).not.toContain(cli.secret);
      const without = await fetch(`${cli.url}/sandboxes/x/exec`, { method: "POST", body: "{}" });
      expect(without.status).toBe(401);
      const box = createLocalSandboxProvider({ url: cli.url, secret: cli.secret }).get("cli");
      expect((await box.exec("echo ok")).stdout.trim()).toBe("ok");
      // A restart on the same state dir keeps the secret: clients need not be told again.
      await cli.kill();
      await cli.restart();
      expect((await box.exec("echo again")).stdout.trim()).toBe("again");
    } finally {
      await cli.stop();
      removeStateDir(dir);
    }
  });
});
