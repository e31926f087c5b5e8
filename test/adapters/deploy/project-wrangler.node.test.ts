/**
 * The deploy step's checks before wrangler runs, for real: a Sandbox of the
 * local Sandbox host (bubblewrap), the real egress proxy and the Cloudflare
 * API emulator, the unmodified wrangler. A config a temporary account cannot
 * deploy fails the step before any account is provisioned; a project's own
 * wrangler ≥ 4.102.0 deploys it; a project pinning wrangler 3 is refused with
 * what to do. The project's own wrangler is the repository's real one, linked
 * into the project's node_modules inside the Sandbox (as pnpm links packages):
 * the Sandbox has no network to install one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWranglerDeployer, type HeldAccount } from "../../../src/adapters/deploy/wrangler-temporary.ts";
import { createLocalSandboxProvider } from "../../../src/adapters/sandbox/local.ts";
import type { EgressProxy } from "../../../src/local/egress-proxy/index.ts";
import type { Emulator } from "../../../src/local/emulator/index.ts";
import type { SandboxHost } from "../../../src/local/sandbox-host/index.ts";
import type { Deployer } from "../../../src/ports/deployer.ts";
import type { Sandbox, SandboxProvider } from "../../../src/ports/sandbox.ts";
import { asIdempotencyKey } from "../../../src/ports/vocabulary.ts";
import { adminFetch } from "../../local/emulator/support.ts";
import { type DeployWorld, startDeployWorld, TOOLS } from "../../support/deploy-world.ts";

const ADMIN = "project-wrangler-test-admin-secret";

let world: DeployWorld;
let emu: Emulator;
let host: SandboxHost;
let proxy: EgressProxy;
let sandboxes: SandboxProvider;
let deployer: Deployer;
const vault = new Map<string, HeldAccount>();
const logs = new Map<string, string>();

/** Accounts created: `POST /provisioning/previews` (not its `/challenge`). */
const provisioningCalls = () =>
  emu.requestLog
    .list({ path: "/provisioning/previews", method: "POST" })
    .filter((r) => !r.path.endsWith("/challenge"));

/** A Sandbox named `run` holding the example job's Worker, then `setup` run in it. */
async function project(run: string, setup: string): Promise<Sandbox> {
  const sandbox = sandboxes.get(run);
  const made = await sandbox.exec([
    "sh",
    "-c",
    `cp -a /sources/workflows/hello-kv/project/. /workspace/ && cd /workspace && ${setup}`,
  ]);
  expect(made, made.stderr).toMatchObject({ exitCode: 0 });
  return sandbox;
}

const deploy = (run: string, sandbox: Sandbox) =>
  deployer.deploy({
    idempotencyKey: asIdempotencyKey(`${run}:deploy#1`),
    runId: run,
    workerName: "hello-kv",
    config: "wrangler.jsonc",
    freshAccount: false,
    sandbox,
  });

beforeAll(async () => {
  world = await startDeployWorld("nightshift-project-wrangler", ADMIN);
  ({ emu, proxy, host } = world);
  sandboxes = createLocalSandboxProvider({ url: host.url, secret: host.secret });
  const made = await adminFetch(emu, "/__emulator/accounts", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "Organisation" }),
  });
  const org = (await made.json()) as { id: string; apiToken: string };
  deployer = createWranglerDeployer({
    organisation: { apiBase: emu.apiBaseUrl, accountId: org.id, apiToken: org.apiToken },
    apiBase: emu.apiBaseUrl,
    wrangler: ["node", `${TOOLS}/wrangler/bin/wrangler.js`],
    findSignoff: async () => ({ id: "tos-test", signedBy: "legal-1", automatic: false }),
    putLog: async (log) => {
      logs.set(log.ref, log.body);
      return log.ref;
    },
    emulatorUrl: emu.url,
    grants: { EGRESS_PROXY_URL: proxy.url, EGRESS_PROXY_SECRET: ADMIN },
    retry: { backoffMs: [200], budgetMs: 600_000, tryMs: 120_000 },
    accounts: {
      held: async (runId) => vault.get(runId) ?? null,
      hold: async (runId, account) => {
        vault.set(runId, account);
      },
    },
  });
});

afterAll(async () => {
  await world?.close();
});

describe("the deploy step's checks before wrangler runs", () => {
  it("fails a config with an R2 binding before any account is provisioned, and says where", async () => {
    const sandbox = await project(
      "cfg-r2",
      `cat > wrangler.jsonc <<'EOF'
{
  // the agent added a bucket
  "name": "hello-kv",
  "main": "src/index.ts",
  "compatibility_date": "2026-08-22",
  "r2_buckets": [{ "binding": "FILES", "bucket_name": "files" }],
}
EOF`,
    );
    const result = await deploy("cfg-r2", sandbox);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("unsupported_config");
    expect(result.error.message).toContain(
      'wrangler.jsonc: r2_buckets[0] (binding "FILES"): R2 is not available on a temporary account (source: https://developers.cloudflare.com/',
    );
    expect(logs.get(result.error.logRef!)).toContain('- wrangler.jsonc: r2_buckets[0] (binding "FILES")');
    expect(provisioningCalls()).toEqual([]);
    expect(emu.requestLog.list({ kind: "api" })).toEqual([]);
    expect(vault.has("cfg-r2")).toBe(false);
  });

  it("fails an assets file over 5 MiB before any account is provisioned", async () => {
    const before = provisioningCalls().length;
    const sandbox = await project(
      "cfg-assets",
      `mkdir -p public/img && echo hi > public/index.html && head -c 5242881 /dev/zero > public/img/big.bin && cat > wrangler.jsonc <<'EOF'
{ "name": "hello-kv", "main": "src/index.ts", "compatibility_date": "2026-08-22", "assets": { "directory": "./public" } }
EOF`,
    );
    const result = await deploy("cfg-assets", sandbox);
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: "unsupported_config",
        message: expect.stringContaining(
          'wrangler.jsonc: assets.directory ("./public/img/big.bin"): Workers Static Assets on a temporary account: up to 1,000 files, each up to 5 MiB; this config asks for a file of 5242881 bytes',
        ),
      },
    });
    expect(provisioningCalls()).toHaveLength(before);
  });

  it("deploys with the project's own wrangler when it has --temporary, and the log says so", async () => {
    const sandbox = await project(
      "own-wrangler",
      `mkdir -p node_modules && ln -s ${TOOLS}/wrangler node_modules/wrangler`,
    );
    const result = await deploy("own-wrangler", sandbox);
    if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
    expect(result.value.url).toMatch(/^https:\/\/hello-kv\.[a-z0-9-]+\.workers\.dev$/);
    const log = logs.get(result.value.logRef!)!;
    expect(log).toContain("$ node /workspace/node_modules/wrangler/bin/wrangler.js deploy --temporary");
    expect(log).toMatch(
      /# wrangler: the project's own wrangler 4\.\d+\.\d+ \(node_modules\/wrangler, ≥ 4\.102\.0/,
    );
    expect(provisioningCalls()).toHaveLength(1);
  });

  it("promotes into the organisation's account with nightshift's wrangler, never the project's", async () => {
    const result = await deployer.promote({
      idempotencyKey: asIdempotencyKey("own-wrangler:promote#1"),
      runId: "own-wrangler",
      mode: "deploy",
      workerName: "hello-kv",
      config: "wrangler.jsonc",
      account: null,
      deploymentUrl: null,
      sandbox: sandboxes.get("own-wrangler"),
      now: Date.now(),
    });
    if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
    expect(result.value.status).toBe("done");
    const log = logs.get(result.value.logRef!)!;
    // The organisation's token is lent to this step: the project's own wrangler (agent-made, for
    // all the approver knows) does not run under it.
    expect(log).toContain(`$ node ${TOOLS}/wrangler/bin/wrangler.js deploy --config`);
    expect(log).not.toContain("/workspace/node_modules/wrangler/bin/wrangler.js");
    expect(log).toContain("# wrangler: nightshift's own");
  });

  it("uses nightshift's wrangler for a project without one, and the log says so", async () => {
    const sandbox = await project("no-wrangler", "true");
    const result = await deploy("no-wrangler", sandbox);
    if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
    const log = logs.get(result.value.logRef!)!;
    expect(log).toContain(`$ node ${TOOLS}/wrangler/bin/wrangler.js deploy --temporary`);
    expect(log).toContain("# wrangler: nightshift's wrangler: the project has no node_modules/wrangler");
  });

  it("refuses a project that pins wrangler 3 with what to do, and never runs it", async () => {
    const before = provisioningCalls().length;
    const sandbox = await project(
      "pinned-3",
      `mkdir -p node_modules/wrangler/bin && echo '{ "name": "wrangler", "version": "3.114.0" }' > node_modules/wrangler/package.json && echo 'require("fs").writeFileSync("/workspace/ran", "3")' > node_modules/wrangler/bin/wrangler.js`,
    );
    const result = await deploy("pinned-3", sandbox);
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: "unsupported_config",
        message: expect.stringContaining(
          "this project pins wrangler 3.114.0; `--temporary` needs wrangler ≥ 4.102: run `npm install -D wrangler@4` in the project",
        ),
      },
    });
    const ran = await sandbox.exec(["sh", "-c", "test -e /workspace/ran"]);
    expect(ran.exitCode).toBe(1);
    expect(provisioningCalls()).toHaveLength(before);
  });
});
