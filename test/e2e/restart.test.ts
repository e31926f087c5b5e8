/**
 * Restarting `wrangler dev` in the middle of a sleep and in the middle of a
 * gate. The local Workflows engine forgets sleeps and wait timeouts when it
 * stops; nightshift keeps every deadline in D1 and its sweeper wakes stranded
 * runs and times out overdue gates. Both runs must finish, and no step may run
 * twice. Real wrangler dev, real Workflows and D1 on disk, fake ports.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../../src/local/orchestrator/dev-server.ts";
import { freePort } from "../../src/local/net.ts";
import { until } from "./local-stack.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const TOKEN = "test-token";

let dir: string;
let port: number;
let server: DevServer | null = null;

const start = () =>
  startDevServer({
    cwd: ROOT,
    config: "test/support/wrangler.test.jsonc",
    port,
    persistTo: join(dir, "state"),
    stateDir: join(dir, "wrangler"),
  });

async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const body = init.json === undefined ? init.body : JSON.stringify(init.json);
  const response = await fetch(`${server!.url}${path}`, { ...init, headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

type Run = { state: string; status: string; currentStep: string | null };
const runOf = async (id: string) => ((await call(`/api/runs/${id}`)).body as { run: Run }).run;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nightshift-restart-"));
  port = await freePort();
  server = await start();
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("restarting wrangler dev", () => {
  it("finishes a run stranded in a sleep and times out a gate that came due while it was down", async () => {
    const signoff = await call("/api/signoffs", {
      method: "POST",
      json: { apiBase: "http://fake-cloudflare.test/client/v4", by: "legal-1" },
    });
    expect(signoff.status).toBe(201);

    // Run A sleeps 3 s for propagation between deploy#1 and verify#1.
    const a = "restart-sleep";
    expect((await call("/api/jobs/loop-settle/runs", { method: "POST", json: { id: a } })).status).toBe(201);
    // Run B waits at a claim gate whose deadline is 2 s away.
    const b = "restart-gate";
    expect((await call("/api/jobs/loop-short-gate/runs", { method: "POST", json: { id: b } })).status).toBe(
      201,
    );

    await until("run A to sleep after deploy#1", async () =>
      (await runOf(a)).currentStep === "deploy#1" ? true : undefined,
    );
    await until("run B at its gate", async () =>
      (await runOf(b)).state === "awaitingClaim" ? true : undefined,
    );

    await server!.kill();
    // While it is down, A's sleep comes due and B's gate deadline passes.
    await new Promise((r) => setTimeout(r, 4_000));
    server = await start();

    expect((await runOf(a)).currentStep).toBe("deploy#1");
    expect((await runOf(b)).state).toBe("awaitingClaim");

    // The start-up sweep, then the every-minute one (fired by hand here, as `npm start` does).
    const fire = () => fetch(`${server!.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);
    const aWaiting = await until("run A to reach its claim gate", async () => {
      await fire();
      const run = await runOf(a);
      return run.state === "awaitingClaim" ? run : undefined;
    });
    expect(aWaiting.status).toBe("waiting");
    const bDone = await until("run B to expire", async () => {
      await fire();
      const run = await runOf(b);
      return run.status === "final" ? run : undefined;
    });
    expect(bDone.state).toBe("expired");

    expect(
      (await call(`/api/runs/${a}/gates/claim/approve`, { method: "POST", json: { by: "approver-1" } }))
        .status,
    ).toBe(200);
    const aDone = await until("run A to succeed", async () => {
      const run = await runOf(a);
      return run.status === "final" ? run : undefined;
    });
    expect(aDone.state).toBe("succeeded");

    for (const id of [a, b]) {
      const { calls } = (await (await fetch(`${server!.url}/__test/fake-calls/${id}`)).json()) as {
        calls: Array<{ key: string }>;
      };
      const keys = calls.map((c) => c.key);
      expect(keys.length).toBeGreaterThan(3);
      expect(new Set(keys).size).toBe(keys.length);
    }
    const events = (await call(`/api/runs/${a}/events`)).body as { events: Array<{ type: string }> };
    expect(events.events.map((e) => e.type)).toContain("run.woken");
    const bGates = (await call(`/api/runs/${b}`)).body as {
      gates: Array<{ status: string; decidedBy: string }>;
    };
    expect(bGates.gates[0]).toMatchObject({ status: "expired", decidedBy: "sweeper" });
  });
});
