/**
 * Test support: the test Worker (`test/support/wrangler.test.jsonc`: the real
 * API, sweeper and run Workflow wired to in-process fake ports) under real
 * `wrangler dev`, with its state in a scratch directory, and helpers to drive
 * it over HTTP. One stack per test file.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DevServer, startDevServer } from "../../src/local/orchestrator/dev-server.ts";
import { freePort } from "../../src/local/net.ts";

export { freePort };

export const ROOT = join(import.meta.dirname, "..", "..");
/** The test Worker's NIGHTSHIFT_TOKEN (wrangler.test.jsonc): the bootstrap admin, holding every role. */
export const BOOTSTRAP_TOKEN = "test-token";
/** The API base the fake deployer stands for (test/support/fakes/ports.ts). */
const FAKE_API_BASE = "http://fake-cloudflare.test/client/v4";

/** Polls until `probe` returns a value; the limit only turns a hang into a readable failure. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface LocalStack {
  url: string;
  call(
    path: string,
    init?: { method?: string; json?: unknown; token?: string },
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers, read loosely by the assertions
  ): Promise<{ status: number; body: any }>;
  /** Starts run `id` of `job` and waits until it is in `state` (the fake API's terms are signed off at start). */
  runTo(job: string, id: string, state: string): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalStack(vars: Record<string, string> = {}, port?: number): Promise<LocalStack> {
  const dir = await mkdtemp(join(tmpdir(), "nightshift-stack-"));
  let server: DevServer;
  try {
    server = await startDevServer({
      cwd: ROOT,
      config: "test/support/wrangler.test.jsonc",
      port: port ?? (await freePort()),
      persistTo: join(dir, "state"),
      stateDir: join(dir, "wrangler"),
      vars,
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const call: LocalStack["call"] = async (path, init = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method: init.method ?? (init.json === undefined ? "GET" : "POST"),
      headers: {
        authorization: `Bearer ${init.token ?? BOOTSTRAP_TOKEN}`,
        "content-type": "application/json",
      },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: response.status, body };
  };
  // Every run of the test jobs deploys through the fake API: sign off its terms once, up front,
  // so runs started by any client (API, CLI, inbox) go past the tos gate.
  const signoff = await call("/api/signoffs", { json: { apiBase: FAKE_API_BASE, by: "legal-1" } });
  if (signoff.status !== 201) {
    await server.stop();
    throw new Error(`sign-off: ${signoff.status} ${JSON.stringify(signoff.body)}`);
  }
  return {
    url: server.url,
    call,
    async runTo(job, id, state) {
      const started = await call(`/api/jobs/${job}/runs`, { json: { id } });
      if (started.status !== 201)
        throw new Error(`start ${job}: ${started.status} ${JSON.stringify(started.body)}`);
      await until(`run ${id} in ${state}`, async () =>
        (await call(`/api/runs/${id}`)).body.run.state === state ? true : undefined,
      );
    },
    async close() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
