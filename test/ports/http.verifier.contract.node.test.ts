/**
 * The Verifier contract against the HTTP verifier: a real HTTP server plays
 * the deployment, a real local-host Sandbox runs the commands.
 */
import { createServer } from "node:http";
import { createLocalSandboxProvider } from "../../src/adapters/sandbox/local.ts";
import { createHttpVerifier } from "../../src/adapters/verify/http-verifier.ts";
import { commandCheckSchema, probeSchema } from "../../src/jobs/schema.ts";
import { removeStateDir, spawnHost, tempStateDir } from "../local/sandbox-host/host-process.ts";
import { verifierContract } from "./verifier.contract.ts";

verifierContract("HTTP verifier", {}, async () => {
  const server = createServer((req, res) => {
    if (req.url === "/")
      return void res.writeHead(200, { "content-type": "text/plain" }).end("hello world\n");
    res.writeHead(404).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const stateDir = tempStateDir("contract-verifier");
  const host = await spawnHost({ stateDir });
  const sandboxes = createLocalSandboxProvider({ url: host.url, secret: host.secret });
  return {
    verifier: createHttpVerifier({ attempts: 2, retryDelayMs: 10 }),
    arrange: async (outcome, runId) => ({
      url,
      probes: [
        probeSchema.parse({ path: "/", expect: { bodyContains: "hello" } }),
        probeSchema.parse({ path: outcome === "pass" ? "/" : "/missing" }),
      ],
      commands: [commandCheckSchema.parse({ run: outcome === "pass" ? "true" : "exit 3" })],
      sandbox: sandboxes.get(runId),
    }),
    dispose: async () => {
      await host.stop();
      removeStateDir(stateDir);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
});
