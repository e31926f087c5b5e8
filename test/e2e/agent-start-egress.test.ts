/**
 * `npm start` starts the egress proxy with the model keys of its own
 * environment, says where it is, keeps the keys out of wrangler dev and every
 * other process it starts (including the runtimes of the Workers the example
 * run deployed into the emulator), and stops the proxy with the rest on Ctrl-C.
 * The real command, in a scratch state directory, with its example run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/local/net.ts";
import { ROOT } from "./stack-support.ts";

const KEY = `sk-start-${randomBytes(12).toString("hex")}`;
/** Marks the processes started from the launcher's environment (they inherit this variable). */
const LAUNCHER_MARK = `NIGHTSHIFT_TOKEN=start-egress-${randomBytes(6).toString("hex")}`;
let child: ChildProcess;
let output = "";
let dir: string;
let port: number;
let exited: Promise<void>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nightshift-start-egress-"));
  port = await freePort();
  child = spawn("npm", ["start", "--", "--port", String(port), "--state-dir", dir], {
    cwd: ROOT,
    env: { ...process.env, OPENAI_API_KEY: KEY, NIGHTSHIFT_TOKEN: LAUNCHER_MARK.split("=")[1] },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so one signal reaches npm and what it started, as Ctrl-C does.
    detached: true,
  });
  // "close": every process holding its output (npm, and `nightshift start` below it) has ended.
  exited = new Promise((resolve) => child.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes("Ctrl-C stops everything.")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", () => reject(new Error(`npm start exited early:\n${output}`)));
  });
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid!, "SIGKILL");
    await exited;
  }
  await rm(dir, { recursive: true, force: true }).catch(() => {});
});

async function processTexts(): Promise<Array<{ cmdline: string; environ: string }>> {
  const out: Array<{ cmdline: string; environ: string }> = [];
  for (const pid of (await readdir("/proc")).filter((d) => /^\d+$/.test(d))) {
    const read = (file: string) => readFile(`/proc/${pid}/${file}`, "latin1").catch(() => "");
    out.push({ cmdline: (await read("cmdline")).replaceAll("\0", " "), environ: await read("environ") });
  }
  return out;
}

describe("npm start and the egress proxy", () => {
  const proxyUrl = () => `http://127.0.0.1:${port + 3}`;

  it("prints the proxy's URL and which keys it adds, never a key", async () => {
    expect(output).toMatch(
      new RegExp(
        `egress proxy {2}${proxyUrl().replaceAll(".", "\\.")} {2}\\(adds model keys: OPENAI_API_KEY;`,
      ),
    );
    expect(output).not.toContain(KEY);
  });

  it("serves the proxy: unknown routes and unsigned grant requests are refused", async () => {
    const unknown = await fetch(`${proxyUrl()}/elsewhere/v1`);
    expect(unknown.status).toBe(403);
    expect(await unknown.json()).toMatchObject({ error: { code: "egress_refused" } });
    const unsigned = await fetch(`${proxyUrl()}/__egress/grants`, { method: "POST", body: "{}" });
    expect(unsigned.status).toBe(401);
  });

  it("keeps the key in the launcher: not in wrangler dev, workerd or anything else it started", async () => {
    expect(output).toContain("waits at the claim gate");
    const texts = await processTexts();
    const orchestrator = texts.filter((t) => t.cmdline.includes(`"EGRESS_PROXY_URL":"${proxyUrl()}"`));
    expect(orchestrator.length).toBeGreaterThan(0);
    for (const t of orchestrator) expect(t.environ + t.cmdline).not.toContain(KEY);
    // The runtime of the Worker the example deployed was started from the launcher's environment.
    const deployed = texts.filter((t) => t.cmdline.includes("workerd") && t.environ.includes(LAUNCHER_MARK));
    expect(deployed.length).toBeGreaterThan(0);
    for (const t of deployed) expect(t.environ).not.toContain(KEY);
    // Only the launcher: npm, `nightshift start` itself (its environment is where keys come from)
    // and the TypeScript loader's esbuild service it started before the stack read (and dropped) them.
    const holders = texts.filter((t) => t.environ.includes(KEY) || t.cmdline.includes(KEY));
    expect(holders.length).toBeGreaterThan(0);
    for (const t of holders) {
      expect(t.cmdline).not.toContain(KEY);
      expect(t.cmdline).toMatch(/npm|src\/cli\/main\.ts start|esbuild --service/);
      expect(t.cmdline).not.toMatch(/wrangler|workerd|bwrap/);
    }
  });

  it("stops the proxy with everything else on Ctrl-C", async () => {
    process.kill(-child.pid!, "SIGINT");
    await exited;
    // npm dies of the signal itself; `nightshift start` below it cleans up first and says so.
    expect(output).toContain("stopping…");
    await expect(fetch(`${proxyUrl()}/elsewhere`)).rejects.toThrow();
    const left = (await processTexts()).filter((t) =>
      t.cmdline.includes(`"EGRESS_PROXY_URL":"${proxyUrl()}"`),
    );
    expect(left).toEqual([]);
  });
});
