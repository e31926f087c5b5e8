/**
 * Issue 15: secrets reach `wrangler dev` through a file only the owner can
 * read, never its command line. Before, NIGHTSHIFT_TOKEN, EGRESS_PROXY_SECRET
 * and the organisation's CLOUDFLARE_API_TOKEN were `--var K:V` arguments,
 * which `ps` shows to every user of the machine (and wrangler printed them in
 * its bindings table); and `wrangler dev` always opened a debugger (port + 1000,
 * whose Origin check admits any page on 127.0.0.1, and workerd's own), through
 * which `env.NIGHTSHIFT_TOKEN` was read. On the real local stack: no process's
 * argv holds any secret of the stack, wrangler's output holds none, the vars
 * file is 0600, no debugger is open, and every port the stack's processes
 * listen on is on loopback only.
 */
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretVarsPath } from "../../src/local/orchestrator/dev-server.ts";
import { type LocalStack, startLocalStack } from "../../src/local/orchestrator/stack.ts";
import { freePort } from "../../src/local/net.ts";
import { ROOT } from "./stack-support.ts";

const TOKEN = `argv-token-${process.pid}-${Date.now().toString(36)}`;
const EGRESS_SECRET = `argv-egress-${process.pid}-${Date.now().toString(36)}`;
let dir: string;
let stack: LocalStack;
const printed: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nightshift-argv-"));
  stack = await startLocalStack({
    root: ROOT,
    stateDir: dir,
    port: await freePort(),
    emulatorPort: 0,
    sandboxPort: 0,
    egressPort: 0,
    egress: { keys: {}, adminSecret: EGRESS_SECRET },
    token: TOKEN,
    organisation: { name: "Argv Org" },
    emulatorLog: () => {},
    onLine: (line) => printed.push(line),
  });
}, 180_000);

afterAll(async () => {
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
});

function secrets(): [string, string][] {
  return [
    ["NIGHTSHIFT_TOKEN", TOKEN],
    ["EGRESS_PROXY_SECRET", EGRESS_SECRET],
    ["SANDBOX_HOST_SECRET", stack.sandboxSecret],
    ["the emulator's admin secret", stack.emulatorSecret],
    ["CLOUDFLARE_API_TOKEN", stack.organisation!.apiToken],
  ];
}

describe("the local stack's secrets", () => {
  it("appear on no process's command line", async () => {
    // The orchestrator works with them: it authenticates the token and reaches the Sandbox host.
    const jobs = await fetch(`${stack.url}/api/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(jobs.status).toBe(200);
    await jobs.body?.cancel();
    const args = execFileSync("ps", ["-eww", "-o", "args="], { encoding: "utf8", maxBuffer: 64 << 20 });
    expect(args).toMatch(/dev-worker\.ts/); // the listing does show the dev server's own argv
    expect(args).toMatch(/workerd/);
    for (const [name, value] of secrets()) expect(args.includes(value), `${name} in ps`).toBe(false);
  });

  it("are kept in a vars file only the owner can read, and never printed by wrangler", () => {
    const file = secretVarsPath({ stateDir: join(dir, "wrangler") });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const output = printed.join("\n");
    expect(output).toContain("NIGHTSHIFT_TOKEN");
    for (const [name, value] of secrets()) expect(output.includes(value), `${name} printed`).toBe(false);
  });

  it("open no debugger, and leave every listening port of the stack's processes on loopback", () => {
    const pids = new Set(
      execFileSync("pgrep", ["-f", "dev-worker|workerd"], { encoding: "utf8" })
        .trim()
        .split("\n")
        .filter(Boolean),
    );
    const args = execFileSync("ps", ["-eww", "-o", "args="], { encoding: "utf8", maxBuffer: 64 << 20 });
    expect(args).toMatch(/workerd serve/);
    expect(args).not.toMatch(/--inspector-addr/);
    const lines = execFileSync("ss", ["-Hltnp"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => [...line.matchAll(/pid=(\d+)/g)].some((m) => pids.has(m[1]!)));
    expect(lines.length).toBeGreaterThan(0);
    // The port wrangler dev's inspector proxy used to take is free.
    const inspector = Number(new URL(stack.url).port) + 1000;
    expect(lines.some((line) => line.includes(`:${inspector} `))).toBe(false);
    expect(lines.some((line) => line.includes(`:${new URL(stack.url).port} `))).toBe(true);
    for (const line of lines) {
      const local = line.trim().split(/\s+/)[3] ?? "";
      expect(local, line).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/);
    }
  });
});
