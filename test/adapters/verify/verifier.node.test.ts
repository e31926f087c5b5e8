/**
 * The HTTP verifier against a real HTTP server: each expectation can fail and
 * says what it expected and what came back; a deployment that needs a moment
 * to propagate is retried; the report is structured.
 */
import { asIdempotencyKey } from "../../../src/ports/vocabulary.ts";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpVerifier } from "../../../src/adapters/verify/http-verifier.ts";
import { probeSchema } from "../../../src/jobs/schema.ts";
import type { Sandbox } from "../../../src/ports/sandbox.ts";

let server: Server;
let base: string;
let flakyHits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/")
      return void res.writeHead(200, { "content-type": "text/plain", "x-app": "hello" }).end("hello world\n");
    if (req.url === "/count")
      return void res.writeHead(200, { "content-type": "application/json" }).end('{"count":3}');
    if (req.url === "/bad-json") return void res.writeHead(200).end('{"count":"three"}');
    if (req.url === "/slow") return void setTimeout(() => res.writeHead(200).end("late"), 300);
    if (req.url === "/flaky")
      return void (++flakyHits < 3 ? res.writeHead(503).end("warming up") : res.writeHead(200).end("ok"));
    if (req.url === "/echo" && req.method === "POST") {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => res.writeHead(201).end(body));
      return;
    }
    res.writeHead(404).end("not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const noSandbox = {} as Sandbox;
const verify = (probes: unknown[], attempts = 1) =>
  createHttpVerifier({ attempts, retryDelayMs: 20 }).verify({
    idempotencyKey: asIdempotencyKey("run:verify#1"),
    runId: "run",
    url: base,
    probes: probes.map((p) => probeSchema.parse(p)),
    commands: [],
    sandbox: noSandbox,
  });

describe("HTTP verifier", () => {
  it("passes when every expectation holds", async () => {
    const report = await verify([
      {
        path: "/",
        expect: { bodyContains: "hello", headers: { "X-App": "hello" }, bodyMatches: "^hello \\w+" },
      },
      {
        path: "/count",
        expect: { json: { type: "object", required: ["count"], properties: { count: { type: "integer" } } } },
      },
      { path: "/echo", method: "POST", body: "ping", expect: { status: 201, bodyContains: "ping" } },
    ]);
    expect(report.passed).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(["GET /", "GET /count", "POST /echo"]);
  });

  it.each([
    [{ path: "/missing" }, "status 200", "status 404"],
    [{ path: "/", expect: { bodyContains: "goodbye" } }, 'body containing "goodbye"', "body without it"],
    [{ path: "/", expect: { headers: { "x-app": "other" } } }, "header x-app: other", "x-app: hello"],
    [{ path: "/", expect: { bodyMatches: "^bye" } }, "body matching /^bye/", "body not matching"],
    [{ path: "/", expect: { json: { type: "object" } } }, "a JSON body", "a body that is not JSON"],
    [{ path: "/slow", expect: { maxLatency: 50 } }, "answer within 50 ms", "ms"],
  ])("fails %j with what it expected and what came back", async (probe, expected, actual) => {
    const [check] = (await verify([probe])).checks;
    expect(check).toMatchObject({ passed: false, expected, actual: expect.stringContaining(actual) });
  });

  it("names the JSON path that does not match the schema", async () => {
    const [check] = (
      await verify([
        {
          path: "/bad-json",
          expect: { json: { type: "object", properties: { count: { type: "number" } } } },
        },
      ])
    ).checks;
    expect(check?.passed).toBe(false);
    expect(check?.actual).toMatch(/^count: /);
    expect(check?.excerpt).toContain("three");
  });

  it("retries a probe while the deployment propagates", async () => {
    flakyHits = 0;
    const report = await verify([{ path: "/flaky" }], 4);
    expect(report.passed).toBe(true);
    expect(flakyHits).toBe(3);
  });

  it("reports an unreachable deployment as a failed check, not a crash", async () => {
    const report = await createHttpVerifier({ attempts: 1 }).verify({
      idempotencyKey: asIdempotencyKey("k"),
      runId: "r",
      url: "http://127.0.0.1:1",
      probes: [probeSchema.parse({ path: "/" })],
      commands: [],
      sandbox: noSandbox,
    });
    expect(report.passed).toBe(false);
    expect(report.checks[0]?.actual).toMatch(/^request failed/);
  });

  it("maps the public URL through resolveUrl (local mode)", async () => {
    const seen: string[] = [];
    const report = await createHttpVerifier({
      attempts: 1,
      resolveUrl: (u) => {
        seen.push(u);
        return u.replace("https://w.sub.workers.dev", base);
      },
    }).verify({
      idempotencyKey: asIdempotencyKey("k"),
      runId: "r",
      url: "https://w.sub.workers.dev",
      probes: [probeSchema.parse({ path: "/" })],
      commands: [],
      sandbox: noSandbox,
    });
    expect(report.passed).toBe(true);
    expect(seen).toEqual(["https://w.sub.workers.dev/"]);
  });
});
