/**
 * Issue 15, the Sandbox boundary, tried as an attacker would: code running
 * inside one run's Sandbox (here: commands the test runs in run B's Sandbox,
 * as an agent's tool call would) on the real local stack — bubblewrap, each
 * Sandbox's own network namespace, the egress proxy, the emulator and the
 * orchestrator under `wrangler dev` — while another run (A) waits at its
 * claim gate. Every attempt must fail with nothing changed, and the paths a
 * run legitimately uses (deploys, probes, model calls through the proxy)
 * must still work.
 *
 * Root cause of the original holes: Sandboxes shared the host's network
 * namespace, so every loopback port of the machine (the orchestrator's API and
 * debugger, the Sandbox host, the emulator's admin API) was one connect away.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalSandboxProvider } from "../../src/adapters/sandbox/local.ts";
import { sandboxNameOf } from "../../src/run/workspace.ts";
import { runOf, settled, startRun, startTestStack, type TestStack, TOKEN } from "./stack-support.ts";

const MODEL_KEY = `sk-boundary-${randomBytes(12).toString("hex")}`;
let model: Server;
let modelPort = 0;
const modelSaw: IncomingHttpHeaders[] = [];
let stack: TestStack;
let runA: string;
let runB: string;

/** The Sandbox host's client as the orchestrator holds it (with whatever credential it needs). */
function sandboxes() {
  return createLocalSandboxProvider({ url: stack.sandboxes.url, secret: stack.sandboxSecret });
}

/** Runs a Node script inside run B's Sandbox, as code the agent wrote would run. */
async function insideB(script: string, ...args: string[]): Promise<string> {
  const result = await sandboxes()
    .get(sandboxNameOf(runB))
    .exec(["node", "-e", script, ...args], { timeoutMs: 120_000 });
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  return result.stdout.trim();
}

const portOf = (url: string) => Number(new URL(url).port);

beforeAll(async () => {
  model = createServer((req, res) => {
    modelSaw.push(req.headers);
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).end('{"id":"chatcmpl-1","choices":[]}');
  });
  await new Promise<void>((resolve) => model.listen(0, "127.0.0.1", resolve));
  modelPort = (model.address() as { port: number }).port;
  stack = await startTestStack("sandbox-boundary", {
    egress: {
      routes: [
        {
          name: "openai",
          upstream: `http://127.0.0.1:${modelPort}`,
          secret: "OPENAI_API_KEY",
          header: "authorization",
        },
      ],
      keys: { OPENAI_API_KEY: MODEL_KEY },
    },
  });
  runA = await startRun(stack, "hello-kv");
  runB = await startRun(stack, "hello-kv");
  for (const id of [runA, runB]) {
    const { run } = await settled(stack, id);
    expect(run).toMatchObject({ status: "waiting", state: "awaitingClaim" });
  }
}, 240_000);

afterAll(async () => {
  await stack?.dispose();
  await new Promise((resolve) => model?.close(resolve));
});

describe("from inside a run's Sandbox", () => {
  it("reaches no port on its loopback but the egress proxy's, found by scanning all 65535", async () => {
    const open = JSON.parse(
      await insideB(`
        const net = require("node:net");
        const open = [];
        let next = 1;
        const probe = (port) => new Promise((done) => {
          const s = net.connect({ host: "127.0.0.1", port });
          s.setTimeout(2000);
          // A connect to a free port in the ephemeral range can be given that same port as its
          // source and "open" onto itself (TCP simultaneous open); that is no listener.
          s.once("connect", () => { if (s.localPort !== port) open.push(port); s.destroy(); done(); });
          s.once("error", done);
          s.once("timeout", () => { s.destroy(); done(); });
        });
        const worker = async () => { while (next <= 65535) await probe(next++); };
        Promise.all(Array.from({ length: 256 }, worker)).then(() => console.log(JSON.stringify(open.sort((a, b) => a - b))));
      `),
    ) as number[];
    expect(open).toEqual([portOf(stack.egress.url)]);
  });

  it("cannot reach the orchestrator, its debugger, the Sandbox host or the emulator at any host address", async () => {
    const targets = [
      portOf(stack.url),
      portOf(stack.url) + 1000, // where wrangler dev's inspector used to listen
      portOf(stack.sandboxes.url),
      portOf(stack.emulator.url),
    ];
    const addresses = [
      "127.0.0.1",
      "::1",
      ...Object.values(networkInterfaces())
        .flat()
        // Link-local IPv6 needs an interface scope, and the Sandbox has no such interface.
        .filter((a) => a && !a.internal && !a.address.startsWith("fe80:"))
        .map((a) => a!.address),
    ];
    const outcome = JSON.parse(
      await insideB(
        `
        const net = require("node:net");
        const [targets, addresses] = JSON.parse(process.argv[1]);
        const tries = addresses.flatMap((host) => targets.map((port) => ({ host, port })));
        Promise.all(tries.map(({ host, port }) => new Promise((done) => {
          const s = net.connect({ host, port });
          s.setTimeout(2000);
          s.once("connect", () => { s.destroy(); done(host + ":" + port + " open"); });
          s.once("error", (e) => done(host + ":" + port + " " + e.code));
          s.once("timeout", () => { s.destroy(); done(host + ":" + port + " timeout"); });
        }))).then((r) => console.log(JSON.stringify(r)));
      `,
        JSON.stringify([targets, addresses]),
      ),
    ) as string[];
    expect(outcome).toHaveLength(targets.length * addresses.length);
    for (const line of outcome)
      expect(line).toMatch(/ (ECONNREFUSED|ENETUNREACH|EADDRNOTAVAIL|EHOSTUNREACH)$/);
  });

  it("cannot use the egress proxy to reach the host: no forward, no tunnel, no grant without the secret", async () => {
    const answers = JSON.parse(
      await insideB(
        `
        const net = require("node:net");
        const [proxyPort, apiPort, hostPort] = JSON.parse(process.argv[1]);
        const raw = (text) => new Promise((done) => {
          const s = net.connect({ host: "127.0.0.1", port: proxyPort });
          let got = "";
          s.on("data", (d) => { got += d; });
          s.on("close", () => done(got.split("\\r\\n")[0]));
          s.on("error", () => done("error"));
          s.write(text);
          setTimeout(() => s.end(), 1500);
        });
        Promise.all([
          raw("GET http://127.0.0.1:" + apiPort + "/api/runs HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nAuthorization: Bearer x\\r\\nConnection: close\\r\\n\\r\\n"),
          raw("CONNECT 127.0.0.1:" + hostPort + " HTTP/1.1\\r\\nHost: 127.0.0.1:" + hostPort + "\\r\\n\\r\\n"),
          raw("POST /__egress/grants HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n{}"),
          raw("GET /__grant/${randomBytes(24).toString("base64url")}/accounts HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n"),
        ]).then((r) => console.log(JSON.stringify(r)));
      `,
        JSON.stringify([portOf(stack.egress.url), portOf(stack.url), portOf(stack.sandboxes.url)]),
      ),
    ) as string[];
    expect(answers[0]).toMatch(/^HTTP\/1\.1 403/);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 403/);
    expect(answers[2]).toMatch(/^HTTP\/1\.1 401/);
    expect(answers[3]).toMatch(/^HTTP\/1\.1 403/);
  });

  it("sees neither another run's processes nor its files, nor any credential on disk or in its environment", async () => {
    const state = JSON.parse(await readFile(join(stack.emulator.stateDir, "state.json"), "utf8")) as {
      accounts: Record<string, { apiToken: string }>;
    };
    const secrets = [
      TOKEN,
      MODEL_KEY,
      ...Object.values(state.accounts).map((a) => a.apiToken),
      stack.sandboxSecret,
      stack.emulatorSecret,
    ];
    // Both runs' temporary accounts are among them.
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    const found = JSON.parse(
      await insideB(
        `
        const fs = require("node:fs");
        const path = require("node:path");
        const secrets = JSON.parse(process.argv[1]);
        const hits = [];
        const seen = new Set();
        const walk = (dir, depth) => {
          if (depth > 12) return;
          let entries = [];
          try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
          for (const e of entries) {
            const p = path.join(dir, e.name);
            if (e.isSymbolicLink()) continue;
            if (e.isDirectory()) { walk(p, depth + 1); continue; }
            if (!e.isFile()) continue;
            let text;
            try { const st = fs.statSync(p); if (st.size > 4 << 20 || seen.has(st.ino + ":" + st.dev)) continue; seen.add(st.ino + ":" + st.dev); text = fs.readFileSync(p, "latin1"); } catch { continue; }
            secrets.forEach((s, i) => { if (text.includes(s)) hits.push(i + " in " + p); });
          }
        };
        for (const dir of ["/workspace", "/home", "/tmp", "/sources", "/etc"]) walk(dir, 0);
        const env = JSON.stringify(process.env);
        secrets.forEach((s, i) => { if (env.includes(s)) hits.push(i + " in env"); });
        const pids = fs.readdirSync("/proc").filter((n) => /^\\d+$/.test(n));
        const cmdlines = pids.map((p) => { try { return fs.readFileSync("/proc/" + p + "/cmdline", "utf8"); } catch { return ""; } });
        console.log(JSON.stringify({ hits, processes: pids.length, cmdlines, root: fs.readdirSync("/").sort() }));
      `,
        JSON.stringify(secrets),
      ),
    ) as { hits: string[]; processes: number; cmdlines: string[]; root: string[] };
    expect(found.hits).toEqual([]);
    // Its own PID namespace: bwrap's init, the shell and this node — nothing of run A or the host.
    expect(found.processes).toBeLessThanOrEqual(3);
    expect(found.cmdlines.join(" ")).not.toMatch(/wrangler|workerd|sandbox-host|nightshift-deploy/);
    expect(found.root).not.toContain("root");
    expect(found.root).not.toContain("work");
    const aName = sandboxNameOf(runA);
    const listing = await insideB(
      `const { execSync } = require("node:child_process"); console.log(execSync("ls -R / 2>/dev/null | grep -c -F -- " + JSON.stringify(process.argv[1]) + " || true").toString())`,
      aName,
    );
    expect(Number(listing)).toBe(0);
  });

  it("leaves no process behind when its command ends, even one it detached", async () => {
    const mark = `nightshift-left-${randomBytes(4).toString("hex")}`;
    await insideB(
      `require("node:child_process").spawn("/bin/sh", ["-c", "exec -a ${mark} sleep 300"], { detached: true, stdio: "ignore" }).unref(); console.log("spawned")`,
    );
    const left = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes(mark));
    expect(left).toEqual([]);
  });

  it("still reaches a model API through the proxy, which adds the key the Sandbox never holds", async () => {
    const status = await insideB(
      `fetch("http://127.0.0.1:" + process.argv[1] + "/openai/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer placeholder" }, body: "{}" }).then((r) => console.log(r.status))`,
      String(portOf(stack.egress.url)),
    );
    expect(status).toBe("200");
    expect(modelSaw.at(-1)?.authorization).toBe(`Bearer ${MODEL_KEY}`);
  });

  it("left both runs as they were: each waits at its claim gate with the deployment it verified", async () => {
    for (const id of [runA, runB]) {
      const { run, gates } = await runOf(stack, id);
      expect(run).toMatchObject({ status: "waiting", state: "awaitingClaim" });
      expect(gates.filter((g) => g.status === "pending").map((g) => g.kind)).toEqual(["claim"]);
    }
  });
});
