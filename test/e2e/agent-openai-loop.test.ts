/**
 * The example job with the OpenAI-compatible agent on the real local stack, as
 * `npm start` wires it: the orchestrator under `wrangler dev`, the Sandbox host
 * under bubblewrap, the emulator, the egress proxy, and the unmodified wrangler
 * deploying with `--temporary` from inside the run's Sandbox. The model is a
 * scripted chat-completions server that demands a key; the job keeps the
 * adapter's default base URL, so the orchestrator (which holds no key) reaches
 * it through the egress proxy, which adds the key it was started with.
 *
 * Round 1 writes a counter answering `{visits}`; the probe "counter counts"
 * fails; the fix round reads the report and repairs it; the redeploy passes and
 * the run waits at the claim gate. The key is in no process's command line or
 * environment. Then the grant path issue 10 needs: code in a Sandbox calls an
 * upstream through a grant with a placeholder and the upstream sees the token.
 *
 * The job `hello-kv-openai` is test-only: the stack runs a test Worker
 * (test/adapters/agent/example-openai/) that serves it beside the shipped jobs.
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openGrant, revokeGrant } from "../../src/adapters/egress/grants.ts";
import { createLocalSandboxProvider } from "../../src/adapters/sandbox/local.ts";
import {
  COST_PER_RUN,
  EXAMPLE_OPENAI_CONFIG,
  EXAMPLE_OPENAI_JOB,
  helloKvScript,
  routesTo,
  TOKENS_PER_RUN,
} from "../adapters/agent/example-openai/index.ts";
import { type ScriptedServer, startScriptedModelServer } from "../support/model-servers/scripted.ts";
import {
  api,
  EXAMPLE_LOOP_STEPS,
  eventsOf,
  provisioned,
  settled,
  startRun,
  startTestStack,
  type TestStack,
} from "./stack-support.ts";

// Random per run, so finding it anywhere can only mean it leaked from this test.
const KEY = `sk-e2e-${randomBytes(12).toString("hex")}`;
const ADMIN = `admin-${randomBytes(12).toString("hex")}`;

let model: ScriptedServer;
let stack: TestStack;

beforeAll(async () => {
  model = await startScriptedModelServer({ openai: helloKvScript, requireKey: KEY });
  stack = await startTestStack("agent-openai", {
    config: EXAMPLE_OPENAI_CONFIG,
    egress: { routes: routesTo(model.url), keys: { OPENAI_API_KEY: KEY }, adminSecret: ADMIN },
  });
}, 120_000);

afterAll(async () => {
  await stack?.dispose();
  await model?.close();
});

/** Every process's command line and environment this user may read (NUL-separated, as in /proc). */
async function processTexts(): Promise<Array<{ pid: string; cmdline: string; environ: string }>> {
  const out: Array<{ pid: string; cmdline: string; environ: string }> = [];
  for (const pid of (await readdir("/proc")).filter((d) => /^\d+$/.test(d))) {
    const read = (file: string) => readFile(`/proc/${pid}/${file}`, "latin1").catch(() => "");
    out.push({ pid, cmdline: await read("cmdline"), environ: await read("environ") });
  }
  return out;
}

describe("the example job with the OpenAI-compatible agent, through the real deployer", () => {
  let id: string;

  it("fixes round 1's bug from the verification report and waits at the claim gate", async () => {
    id = await startRun(stack, EXAMPLE_OPENAI_JOB);
    const { run, gates } = await settled(stack, id);
    expect(run).toMatchObject({ status: "waiting", state: "awaitingClaim" });
    expect(gates).toEqual([expect.objectContaining({ kind: "claim", seq: 1, status: "pending" })]);

    const events = await eventsOf(stack, id);
    expect(
      events
        .filter((e) => e.step)
        .map((e) => `${e.step} ${e.type}`)
        .slice(0, 8),
    ).toEqual(EXAMPLE_LOOP_STEPS);
    // A real agent this time: the model's own summaries, not a replay.
    const writes = events.filter((e) => e.type === "write.done");
    expect(writes.map((w) => w.data)).toEqual([
      expect.objectContaining({ replay: false, summary: expect.stringContaining("Added GET /count") }),
      expect.objectContaining({ replay: false, summary: expect.stringContaining("Renamed the field") }),
    ]);

    // The fix round's prompt carried the failing probe from the report.
    const fixRequests = model.requests.filter((r) => JSON.stringify(r.body).includes("a fix"));
    expect(fixRequests.length).toBeGreaterThan(0);
    expect(JSON.stringify(fixRequests[0]!.body)).toMatch(/\[FAIL\][^"]*\\"counter counts\\"/);

    // The budget holds the scripted server's reported usage, priced at gpt-4.1-mini's list prices.
    const { body } = await api<{ run: { budgets: { spent: Record<string, number> } } }>(
      stack,
      `/api/runs/${id}`,
    );
    expect(body.run.budgets.spent).toMatchObject({ iterations: 2, deploys: 2, tokens: TOKENS_PER_RUN });
    expect(body.run.budgets.spent.costUsd).toBeCloseTo(COST_PER_RUN, 9);

    // Two real deploys into one temporary account of the emulator; the live Worker now counts.
    expect(provisioned(stack)).toHaveLength(1);
    const counted = await fetch(stack.emulator.localUrl(`${run.deploymentUrl}/count`));
    expect(await counted.json()).toEqual({ count: expect.any(Number) });
  });

  it("reached the model only through the egress proxy, which added the key", async () => {
    expect(model.requests).toHaveLength(4);
    for (const request of model.requests) {
      expect(request.path).toBe("/v1/chat/completions");
      expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    }
    const routed = stack.egress.log.filter((e) => e.kind === "route");
    expect(routed).toEqual(
      Array.from({ length: 4 }, () =>
        expect.objectContaining({ target: "openai", allowed: true, status: 200 }),
      ),
    );
    expect(JSON.stringify(stack.egress.log)).not.toContain(KEY);
  });

  it("kept the key out of every process's command line and environment", async () => {
    const texts = await processTexts();
    // The scan does see the orchestrator: its dev server got the proxy's URL (not a key) as a
    // plain variable in its one JSON argument.
    expect(texts.some((t) => t.cmdline.includes(`"EGRESS_PROXY_URL":"${stack.egress.url}"`))).toBe(true);
    expect(texts.filter((t) => t.cmdline.includes(KEY) || t.environ.includes(KEY))).toEqual([]);
  });
});

describe("a grant, used from inside a Sandbox", () => {
  const ORG_TOKEN = `cf-org-${randomBytes(12).toString("hex")}`;
  let upstream: Server;
  const seen: Array<{ url: string; authorization: string | undefined }> = [];

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      seen.push({ url: req.url ?? "", authorization: req.headers.authorization });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ success: true, result: { status: "active" } }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  });

  it("adds the token for the Sandbox's calls until revoked; the Sandbox only ever had a placeholder", async () => {
    const address = upstream.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const opened = await openGrant(
      { EGRESS_PROXY_URL: stack.egress.url, EGRESS_PROXY_SECRET: ADMIN },
      { upstream: `http://127.0.0.1:${port}/client/v4`, token: ORG_TOKEN, ttlMs: 60_000 },
    );
    if (!opened.ok) throw new Error(opened.error.message);

    const sandbox = createLocalSandboxProvider({ url: stack.sandboxes.url, secret: stack.sandboxSecret }).get(
      `grant-${process.pid}`,
    );
    // As wrangler would: the API base and a token from the environment, here the grant and a placeholder.
    const call = () =>
      sandbox.exec(
        [
          "node",
          "-e",
          "fetch(process.env.CLOUDFLARE_API_BASE_URL + '/user/tokens/verify', { headers: { authorization: 'Bearer ' + process.env.CLOUDFLARE_API_TOKEN } }).then(async (r) => console.log(r.status, await r.text()))",
        ],
        { env: { CLOUDFLARE_API_BASE_URL: opened.value.baseUrl, CLOUDFLARE_API_TOKEN: "placeholder" } },
      );
    const used = await call();
    expect(used.stdout).toMatch(/^200 .*"active"/);
    expect(seen).toEqual([{ url: "/client/v4/user/tokens/verify", authorization: `Bearer ${ORG_TOKEN}` }]);

    const env = await sandbox.exec(["sh", "-c", "env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'"]);
    expect(env.stdout).toContain("PATH=");
    expect(env.stdout).not.toContain(ORG_TOKEN);

    expect(
      await revokeGrant({ EGRESS_PROXY_URL: stack.egress.url, EGRESS_PROXY_SECRET: ADMIN }, opened.value.id),
    ).toEqual({
      ok: true,
      value: { revoked: true },
    });
    const refused = await call();
    expect(refused.stdout).toMatch(/^403 .*grant_revoked/);
    expect(seen).toHaveLength(1);
    expect(JSON.stringify(stack.egress.log)).not.toContain(ORG_TOKEN);
  });
});
