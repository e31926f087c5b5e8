/**
 * Issue 15, item 2: no credential rests in a Sandbox. The example job runs to its claim gate on
 * the real local stack (bubblewrap, the Sandbox's own network, the egress proxy, the emulator,
 * the orchestrator under `wrangler dev`); wrangler deployed twice in the run's Sandbox (round 1
 * and the fix round). The real temporary-account token and claim URL, read from the emulator's
 * own state, are then looked for from INSIDE that Sandbox — every file of the home directory,
 * /tmp and /workspace, and the environment of every process — and in what the run recorded
 * (deploy logs, events). Neither is there; the orchestrator holds them, the claim gate shows the
 * real claim URL, and the fix round's redeploy reused the same account through its grant.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalSandboxProvider } from "../../src/adapters/sandbox/local.ts";
import { sandboxNameOf } from "../../src/run/workspace.ts";
import {
  api,
  eventsOf,
  provisioned,
  runOf,
  settled,
  startRun,
  startTestStack,
  type TestStack,
} from "./stack-support.ts";

let stack: TestStack;
let id: string;

/** The account as the emulator itself holds it: the real token and claim link. */
interface EmulatorAccount {
  id: string;
  apiToken: string;
  claim: { token: string } | null;
}

beforeAll(async () => {
  stack = await startTestStack("account-secrets");
  id = await startRun(stack, "hello-kv");
  const { run } = await settled(stack, id);
  expect(run).toMatchObject({ status: "waiting", state: "awaitingClaim" });
}, 240_000);

afterAll(async () => {
  await stack?.dispose();
});

async function realAccount(
  accountId: string,
): Promise<{ token: string; claimUrl: string; claimSecret: string }> {
  const state = JSON.parse(await readFile(join(stack.emulator.stateDir, "state.json"), "utf8")) as {
    accounts: Record<string, EmulatorAccount>;
  };
  const account = state.accounts[accountId];
  expect(account?.apiToken).toMatch(/^emu_/);
  expect(account?.claim?.token).toBeTruthy();
  return {
    token: account!.apiToken,
    claimSecret: account!.claim!.token,
    claimUrl: `${stack.emulator.url}/claim/${account!.claim!.token}`,
  };
}

/** Runs a shell script inside the run's Sandbox, as code the agent wrote would run. */
async function insideRun(script: string, ...args: string[]) {
  const sandboxes = createLocalSandboxProvider({ url: stack.sandboxes.url, secret: stack.sandboxSecret });
  return sandboxes
    .get(sandboxNameOf(id))
    .exec(["sh", "-c", script, "inside", ...args], { timeoutMs: 120_000 });
}

describe("the temporary account's token and claim URL never rest in the run's Sandbox", () => {
  it("redeployed in the fix round into the same account, through the orchestrator's grant", async () => {
    expect(provisioned(stack)).toHaveLength(1);
    const events = await eventsOf(stack, id);
    const deploys = events.filter((e) => e.type === "deploy.done");
    expect(deploys).toHaveLength(2);
    expect(new Set(deploys.map((e) => (e.data.account as { id: string }).id)).size).toBe(1);
    const second = await api<{ body: string }>(
      stack,
      `/api/runs/${id}/artifacts/${encodeURIComponent(`${id}:${deploys[1]!.step}:log`)}`,
    );
    expect(second.status).toBe(200);
    expect(second.body.body).toContain("(reused)");
    // wrangler reached the Cloudflare API under the deploy steps' grants (revoked since).
    expect(stack.egress.log.filter((e) => e.kind === "grant" && e.allowed).length).toBeGreaterThan(6);
  });

  it("finds neither in any file of home, /tmp or /workspace, nor in any process's environment", async () => {
    const { run } = await runOf(stack, id);
    const real = await realAccount(run.account!.id);
    // The claim gate's account record carries the real claim URL, from the orchestrator's store.
    expect(run.account!.claimUrl).toBe(real.claimUrl);

    // The search itself works: a planted needle is found where the real ones are not.
    const found = await insideRun(
      `echo "planted-$1" > /tmp/needle.txt
       for needle in "$@"; do
         grep -rlaF -e "$needle" /home /tmp /workspace 2>/dev/null
         for e in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$e" 2>/dev/null | grep -qF -e "$needle" && echo "$e"; done
         env | grep -qF -e "$needle" && echo env
       done
       cat /home/sandbox/.config/.wrangler/wrangler-temporary-account.toml`,
      "needle-7c1",
      real.token,
      real.claimSecret,
      real.claimUrl,
    );
    expect(found.exitCode).toBe(0);
    const lines = found.stdout.trim().split("\n");
    expect(lines[0]).toBe("/tmp/needle.txt");
    // wrangler's cache is there, for the account the run uses, with placeholders only.
    const cache = lines.slice(1).join("\n");
    expect(cache).toContain(`id = "${run.account!.id}"`);
    expect(cache).toContain('apiToken = "nightshift-egress-grant"');
    expect(cache).toContain("https://claim-url.nightshift.invalid/");
    expect(found.stdout).not.toContain(real.token);
    expect(found.stdout).not.toContain(real.claimSecret);
  });

  it("keeps both out of the deploy logs and the token out of every event", async () => {
    const { run } = await runOf(stack, id);
    const real = await realAccount(run.account!.id);
    const events = await eventsOf(stack, id);
    expect(JSON.stringify(events)).not.toContain(real.token);
    const logs = events.filter((e) => e.type === "deploy.done");
    for (const e of logs) {
      const log = await api<{ body: string }>(
        stack,
        `/api/runs/${id}/artifacts/${encodeURIComponent(`${id}:${e.step}:log`)}`,
      );
      expect(log.body.body).toContain("Claim URL: https://claim-url.nightshift.invalid/");
      expect(log.body.body).not.toContain(real.token);
      expect(log.body.body).not.toContain(real.claimSecret);
    }
    // Nor in what the egress proxy logged.
    const proxyLog = JSON.stringify(stack.egress.log);
    expect(proxyLog).not.toContain(real.token);
    expect(proxyLog).not.toContain(real.claimSecret);
  });

  it("still lets the human claim with the real URL and the run succeed", async () => {
    const { run } = await runOf(stack, id);
    const claimed = await fetch(run.account!.claimUrl, { method: "POST" });
    expect(claimed.status).toBe(200);
    const approved = await api(stack, `/api/runs/${id}/gates/claim/approve`, { json: { reason: "claimed" } });
    expect(approved.status).toBe(200);
    const done = await settled(stack, id);
    expect(done.run).toMatchObject({ status: "final", state: "succeeded" });
  });
});
