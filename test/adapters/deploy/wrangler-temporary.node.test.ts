/**
 * The wrangler --temporary deployer for real: the pinned, unmodified wrangler
 * runs inside a Sandbox of the local Sandbox host (bubblewrap, overlay
 * snapshots) and deploys the example job's Worker to the local Cloudflare API
 * emulator, reaching it only through the real egress proxy (the Sandbox has a
 * network of its own with the proxy as its one gateway). The sign-off lookup,
 * the log store and the account vault are the adapter's injected functions
 * (D1 in the Worker), here plain in-memory ones.
 */
import { asIdempotencyKey } from "../../../src/ports/vocabulary.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWranglerDeployer,
  type HeldAccount,
  type SignoffOnRecord,
} from "../../../src/adapters/deploy/wrangler-temporary.ts";
import type { DeployRetry } from "../../../src/adapters/deploy/wrangler-step.ts";
import { createLocalSandboxProvider } from "../../../src/adapters/sandbox/local.ts";
import type { EgressProxy } from "../../../src/local/egress-proxy/index.ts";
import type { Emulator } from "../../../src/local/emulator/index.ts";
import type { SandboxHost } from "../../../src/local/sandbox-host/index.ts";
import type { Deployer, DeployOutput } from "../../../src/ports/deployer.ts";
import type { Sandbox } from "../../../src/ports/sandbox.ts";
import { adminFetch } from "../../local/emulator/support.ts";
import { type DeployWorld, startDeployWorld, TOOLS } from "../../support/deploy-world.ts";

const RUN = "deploy-adapter-run";

let world: DeployWorld;
let emu: Emulator;
let host: SandboxHost;
let proxy: EgressProxy;
const ADMIN = "deployer-test-admin-secret";
/** The vault: what the orchestrator holds per run (D1 in the Worker). */
const vault = new Map<string, HeldAccount>();
let sandbox: Sandbox;
let signoff: SignoffOnRecord | null = null;
const logs = new Map<string, string>();
let deployer: Deployer;
let step = 0;

const deploy = (freshAccount = false) =>
  deployer.deploy({
    idempotencyKey: asIdempotencyKey(`${RUN}:deploy#${++step}`),
    runId: RUN,
    workerName: "hello-kv",
    config: "wrangler.jsonc",
    freshAccount,
    sandbox,
  });

function value<T, E>(result: { ok: true; value: T } | { ok: false; error: E }): T {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.value;
}

/** Accounts created: `POST /provisioning/previews` (not its `/challenge`). */
const provisioningCalls = () =>
  emu.requestLog
    .list({ path: "/provisioning/previews", method: "POST" })
    .filter((r) => !r.path.endsWith("/challenge"));

/** The deployer as wired, with the tries given (short ones here). */
function deployerWith(retry: DeployRetry): Deployer {
  return createWranglerDeployer({
    apiBase: emu.apiBaseUrl,
    wrangler: ["node", `${TOOLS}/wrangler/bin/wrangler.js`],
    findSignoff: async () => signoff,
    putLog: async (log) => {
      logs.set(log.ref, log.body);
      return log.ref;
    },
    emulatorUrl: emu.url,
    grants: { EGRESS_PROXY_URL: proxy.url, EGRESS_PROXY_SECRET: ADMIN },
    retry,
    accounts: {
      held: async (runId) => vault.get(runId) ?? null,
      hold: async (runId, account) => {
        vault.set(runId, account);
      },
    },
  });
}

beforeAll(async () => {
  world = await startDeployWorld("nightshift-deployer", ADMIN);
  ({ emu, proxy, host } = world);
  sandbox = createLocalSandboxProvider({ url: host.url, secret: host.secret }).get(RUN);
  const copied = await sandbox.exec(["cp", "-a", "/sources/workflows/hello-kv/project/.", "/workspace/"]);
  expect(copied.exitCode).toBe(0);
  deployer = deployerWith({ backoffMs: [200, 200], budgetMs: 600_000, tryMs: 120_000 });
});

afterAll(async () => {
  await world?.close();
});

describe("wrangler deploy --temporary inside the run's Sandbox", () => {
  it("refuses to deploy without a legal sign-off, and nothing reaches the API", async () => {
    const result = await deploy();
    expect(result).toMatchObject({ ok: false, error: { code: "tos_required", logRef: null } });
    expect(emu.requestLog.list({ kind: "api" })).toEqual([]);
  });

  let first: DeployOutput;
  it("deploys the example Worker into a new temporary account and reads the account back", async () => {
    signoff = { id: "tos-test", signedBy: "legal-1", automatic: false };
    first = value(await deploy());
    expect(first.url).toMatch(/^https:\/\/hello-kv\.[a-z0-9-]+\.workers\.dev$/);
    expect(first.account.claimUrl.startsWith(`${emu.url}/claim/`)).toBe(true);
    expect(first.account.expiresAt).toBeGreaterThan(Date.now());
    expect(first.account.claimExpiresAt).toBeGreaterThan(Date.now());
    expect(first.versionId).toMatch(/[0-9a-f-]{32,}/);
    expect(provisioningCalls()).toHaveLength(1);

    const home = await fetch(emu.localUrl(`${first.url}/`));
    expect(await home.text()).toContain("hello from hello-kv");

    const log = logs.get(first.logRef!)!;
    expect(log).toContain("Account: ");
    expect(log).toContain("(created)");
    expect(log).toContain("sign-off tos-test by legal-1");
    expect(log).not.toMatch(/apiToken|emu_[A-Za-z0-9_-]{20,}/);

    // The orchestrator holds the real token and claim URL; the Sandbox and the log have neither.
    const held = vault.get(RUN)!;
    expect(held).toMatchObject({ id: first.account.id, claimUrl: first.account.claimUrl });
    expect(held.apiToken).toMatch(/^emu_/);
    expect(log).not.toContain(held.apiToken);
    expect(log).not.toContain(held.claimUrl);
    expect(log).toContain("Claim URL: https://claim-url.nightshift.invalid/");
    const grep = await sandbox.exec(
      [
        "sh",
        "-c",
        'grep -rlF -e "$1" -e "$2" /home /tmp /workspace; env | grep -cF -e "$1" -e "$2"',
        "find",
        held.apiToken,
        held.claimUrl,
      ],
      { timeoutMs: 60_000 },
    );
    expect(grep.stdout.trim()).toBe("0");
    // wrangler reached the API only through the step's grant, which is revoked now.
    expect(proxy.log.filter((e) => e.kind === "grant" && e.allowed).length).toBeGreaterThan(3);
  });

  it("redeploys into the same account after the workspace is restored (the cache lives outside /workspace)", async () => {
    const snap = await sandbox.snapshot({ name: "before-edit" });
    await sandbox.writeFile("/workspace/NOTES.md", "scratch");
    await sandbox.restore(snap.id);
    const again = value(await deploy());
    expect(again.account.id).toBe(first.account.id);
    expect(again.url).toBe(first.url);
    expect(provisioningCalls()).toHaveLength(1);
    expect(logs.get(again.logRef!)).toContain("(reused)");
  });

  it("returns a build error as a structured failure with wrangler's output by reference", async () => {
    const snap = await sandbox.snapshot({ name: "good" });
    await sandbox.writeFile("/workspace/src/index.ts", "export default { fetch( { \n");
    const result = await deploy().finally(() => sandbox.restore(snap.id));
    expect(result).toMatchObject({ ok: false, error: { code: "build_error" } });
    if (result.ok) return;
    expect(result.error.message).toMatch(
      /^Build failed with 1 error: src\/index\.ts:\d+:\d+: Expected identifier/,
    );
    expect(logs.get(result.error.logRef!)).toContain("Build failed");
  });

  it("returns an upload the API refuses as upload_rejected", async () => {
    const snap = await sandbox.snapshot({ name: "good-2" });
    await sandbox.writeFile(
      "/workspace/src/index.ts",
      "throw new Error('boom at startup');\nexport default { fetch() { return new Response('x'); } };\n",
    );
    const result = await deploy().finally(() => sandbox.restore(snap.id));
    expect(result).toMatchObject({ ok: false, error: { code: "upload_rejected" } });
    if (!result.ok) expect(result.error.message).toContain("boom at startup");
  });

  it("reports an account that expired under it as account_expired, then deploys fresh into a new one", async () => {
    const expired = await adminFetch(emu, `/__emulator/accounts/${first.account.id}/expire`, {
      method: "POST",
    });
    expect(expired.ok).toBe(true);
    const result = await deploy();
    expect(result).toMatchObject({ ok: false, error: { code: "account_expired" } });

    const fresh = value(await deploy(true));
    expect(fresh.account.id).not.toBe(first.account.id);
    expect(fresh.url).not.toBe(first.url);
    expect(provisioningCalls()).toHaveLength(2);
    first = fresh;
  });

  it("replays a retried deploy step instead of deploying again (idempotency key)", async () => {
    const key = asIdempotencyKey(`${RUN}:deploy#retried`);
    const request = {
      idempotencyKey: key,
      runId: RUN,
      workerName: "hello-kv",
      config: "wrangler.jsonc",
      freshAccount: true,
      sandbox,
    };
    const a = value(await deployer.deploy(request));
    const uploads = emu.requestLog.list({ path: "/workers/scripts/hello-kv", kind: "api" }).length;
    const b = value(await deployer.deploy(request));
    expect(b).toEqual(a);
    expect(emu.requestLog.list({ path: "/workers/scripts/hello-kv", kind: "api" })).toHaveLength(uploads);
    first = a;
  });

  it("deploys into a fresh account when wrangler used one whose token nightshift does not hold", async () => {
    const request = {
      idempotencyKey: asIdempotencyKey(`${RUN}:deploy#cut-off`),
      runId: RUN,
      workerName: "hello-kv",
      config: "wrangler.jsonc",
      freshAccount: false,
      sandbox,
    };
    const a = value(await deployer.deploy(request));
    // As when the step was cut off after wrangler provisioned but before the capture was stored:
    // the retried step replays wrangler's answer, naming an account nightshift holds no token for.
    vault.delete(RUN);
    const before = provisioningCalls().length;
    const b = value(await deployer.deploy(request));
    expect(b.account.id).not.toBe(a.account.id);
    expect(vault.get(RUN)).toMatchObject({ id: b.account.id, claimUrl: b.account.claimUrl });
    expect(provisioningCalls()).toHaveLength(before + 1);
    expect(b.logRef).toBe(`${RUN}:deploy#cut-off:reprovision:log`);
    expect(logs.get(b.logRef!)).toContain("(created)");
    first = b;
  });

  it("tries a deploy again after a transient 500, provisioning one account however often it tried", async () => {
    const fault = (spec: Record<string, unknown>) =>
      adminFetch(emu, "/__emulator/faults", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ action: "status", status: 500, ...spec }),
      });
    // Provisioning fails once: the second try provisions the account.
    const before = provisioningCalls().length;
    expect((await fault({ method: "POST", pathRegex: "/provisioning/previews$" })).ok).toBe(true);
    const provisioned = value(await deploy(true));
    const calls = provisioningCalls().slice(before);
    expect(calls.map((c) => c.fault !== null && c.fault !== undefined)).toEqual([true, false]);
    expect(vault.get(RUN)).toMatchObject({ id: provisioned.account.id });
    expect(await (await fetch(emu.localUrl(`${provisioned.url}/`))).text()).toContain("hello from hello-kv");

    // The upload fails once after a fresh account was provisioned: the second try deploys into it.
    const accounts = provisioningCalls().length;
    expect((await fault({ method: "PUT", pathRegex: "/workers/scripts/hello-kv$" })).ok).toBe(true);
    const uploaded = value(await deploy(true));
    expect(provisioningCalls()).toHaveLength(accounts + 1);
    expect(vault.get(RUN)).toMatchObject({ id: uploaded.account.id });
    expect(await (await fetch(emu.localUrl(`${uploaded.url}/`))).text()).toContain("hello from hello-kv");
    first = uploaded;
  });

  it("does not try a refusal again: a 4xx comes back at once as a value", async () => {
    const uploads = () =>
      emu.requestLog
        .list({ path: "/workers/scripts/hello-kv", method: "PUT" })
        .filter((r) => r.path.endsWith("/workers/scripts/hello-kv")).length;
    const before = uploads();
    const added = await adminFetch(emu, "/__emulator/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        action: "status",
        status: 400,
        code: 10021,
        message: "refused",
        method: "PUT",
        pathRegex: "/workers/scripts/hello-kv$",
      }),
    });
    expect(added.ok).toBe(true);
    // Into a fresh account: wrangler creates the script with a PUT (an existing one gets a new version).
    const result = await deploy(true);
    expect(result).toMatchObject({ ok: false, error: { code: "upload_rejected" } });
    if (!result.ok) expect(result.error.message).not.toContain("tried");
    expect(uploads() - before).toBe(1);
  });

  it("cuts a try off at its own deadline when the API hangs, kills wrangler, and deploys on the next try", async () => {
    // Each try may take 20 s here (a deploy takes a few): the hung one is cut off long before
    // wrangler's own five-minute fetch timeout (the Sandbox kills the command's tree, as its
    // contract says), and the next one deploys.
    const short = deployerWith({ backoffMs: [200, 200], budgetMs: 120_000, tryMs: 20_000 });
    const subdomainReads = () => emu.requestLog.list({ path: "/workers/subdomain", method: "GET" });
    const before = subdomainReads().length;
    const added = await adminFetch(emu, "/__emulator/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "hang", method: "GET", pathRegex: "/workers/subdomain$" }),
    });
    expect(added.ok).toBe(true);
    const key = asIdempotencyKey(`${RUN}:deploy#hung`);
    const deployed = value(
      await short.deploy({
        idempotencyKey: key,
        runId: RUN,
        workerName: "hello-kv",
        config: "wrangler.jsonc",
        freshAccount: false,
        sandbox,
      }),
    );
    // The first read hung and was abandoned, the second try read again and finished.
    expect(
      subdomainReads()
        .slice(before)
        .map((r) => r.fault ?? null),
    ).toEqual(["hang", null]);
    expect(logs.get(`${key}:log`)).toMatch(
      /# wrangler did not finish within 20000 ms .*process tree was killed/,
    );
    expect(deployed.logRef).toBe(`${key}:try-2:log`);
    expect(await (await fetch(emu.localUrl(`${deployed.url}/`))).text()).toContain("hello from hello-kv");
    await adminFetch(emu, "/__emulator/faults", { method: "DELETE" });
    first = deployed;
  });

  it("promotes by claim: waits while unclaimed, done once claimed, an expired account is not", async () => {
    const promote = (n: number) =>
      deployer.promote({
        idempotencyKey: asIdempotencyKey(`${RUN}:promote#${n}`),
        runId: RUN,
        mode: "claim",
        workerName: "hello-kv",
        config: "wrangler.jsonc",
        account: first.account,
        deploymentUrl: first.url,
        sandbox,
        now: Date.now(),
      });
    expect(await promote(1)).toMatchObject({ ok: true, value: { status: "pending" } });
    expect(JSON.parse(logs.get(`${RUN}:promote#1:claim`)!)).toMatchObject({
      claimPage: { status: "unclaimed" },
      decision: "pending",
    });

    const claimed = await fetch(first.account.claimUrl, { method: "POST" });
    expect(claimed.status).toBe(200);
    expect(await promote(2)).toMatchObject({ ok: true, value: { status: "done", url: first.url } });
    expect(JSON.parse(logs.get(`${RUN}:promote#2:claim`)!)).toMatchObject({
      claimPage: { status: "claimed" },
      decision: "done",
    });

    const other = value(await deploy(true));
    await adminFetch(emu, `/__emulator/accounts/${other.account.id}/expire`, { method: "POST" });
    const late = await deployer.promote({
      idempotencyKey: asIdempotencyKey(`${RUN}:promote#3`),
      runId: RUN,
      mode: "claim",
      workerName: "hello-kv",
      config: "wrangler.jsonc",
      account: other.account,
      deploymentUrl: other.url,
      sandbox,
      now: Date.now(),
    });
    expect(late).toMatchObject({ ok: false, error: { code: "account_expired" } });
  });
});
