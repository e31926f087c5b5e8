/**
 * Reading the live version of a Worker and the claim page, against the real emulator over
 * HTTP (issue 15: an approval binds to what is deployed). Uses only the API wrangler and a
 * person use: provisioning, the script upload, the deployments list and the claim page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkClaim } from "../../../src/adapters/deploy/claim-check.ts";
import { observeDeployment, readDeployedVersion } from "../../../src/adapters/deploy/deployed-version.ts";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import { provisionAccount, uploadWorker } from "../../local/emulator/support.ts";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ log: () => {} });
});

afterAll(async () => {
  await emu?.close();
});

const code = (text: string) => `export default { fetch() { return new Response("${text}"); } };`;
const send = (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init);

async function deployed(text: string) {
  const account = await provisionAccount(emu);
  const up = await uploadWorker(emu, account, "bound", code(text));
  expect(up.status).toBe(200);
  const { result } = (await up.json()) as { result: { deployment_id: string } };
  return { account, versionId: result.deployment_id };
}

describe("the deployed version, as Cloudflare reports it", () => {
  it("reads the version a deploy made live, and a new one after another deploy", async () => {
    const { account, versionId } = await deployed("first");
    const query = {
      apiBase: emu.apiBaseUrl,
      accountId: account.id,
      token: account.token,
      workerName: "bound",
      fetch: send,
    };
    expect(await readDeployedVersion(query)).toBe(versionId);
    const again = await uploadWorker(emu, account, "bound", code("changed"));
    const changed = ((await again.json()) as { result: { deployment_id: string } }).result.deployment_id;
    expect(changed).not.toBe(versionId);
    expect(await readDeployedVersion(query)).toBe(changed);
  });

  it("reads nothing for a Worker that is not there or with a token the account refuses", async () => {
    const { account } = await deployed("x");
    const base = { apiBase: emu.apiBaseUrl, accountId: account.id, fetch: send };
    expect(await readDeployedVersion({ ...base, token: account.token, workerName: "missing" })).toBeNull();
    expect(
      await readDeployedVersion({ ...base, token: "emu_not-this-account", workerName: "bound" }),
    ).toBeNull();
  });

  it("tells when a temporary account was claimed, and loses the version with the account", async () => {
    const { account, versionId } = await deployed("claimable");
    const options = {
      apiBase: emu.apiBaseUrl,
      emulatorUrl: emu.url,
      accountToken: async () => account.token,
      fetch: send,
    };
    const request = {
      runId: "run-bound",
      workerName: "bound",
      account: {
        id: account.id,
        claimUrl: account.claimUrl,
        expiresAt: Date.now() + 3_600_000,
        claimExpiresAt: Date.now() + 3_600_000,
      },
    };
    const before = await observeDeployment(options, request);
    expect(before.version).toEqual({ id: versionId, where: "temporary" });
    expect(before.claim).toMatchObject({ status: "unclaimed", at: null });

    const asked = Date.now();
    expect((await fetch(account.claimUrl, { method: "POST" })).status).toBe(200);
    const page = await checkClaim(account.claimUrl, { emulatorUrl: emu.url, fetch: send });
    expect(page.status).toBe("claimed");
    // The emulator records the claim time to the millisecond; the page carries it.
    expect(page.claimedAt).toBeGreaterThanOrEqual(asked - 1_000);
    expect(page.claimedAt).toBeLessThanOrEqual(Date.now());

    const after = await observeDeployment(options, request);
    expect(after.claim).toMatchObject({ status: "claimed", at: page.claimedAt });
    // No organisation account configured: where the Worker went cannot be read.
    expect(after.version).toBeNull();
    const only = await observeDeployment(options, { ...request, claimOnly: true });
    expect(only.version).toBeNull();
  });
});
