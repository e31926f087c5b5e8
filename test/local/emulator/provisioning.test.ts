/**
 * Temporary-account provisioning over plain HTTP: the proof-of-work is
 * verified (a wrong solution is refused), challenges are single-use, and
 * unknown endpoints and bad tokens answer in Cloudflare's envelope.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type Emulator,
  solveProofOfWork,
  startEmulator,
  verifyProofOfWork,
} from "../../../src/local/emulator/index.ts";
import { adminFetch } from "./support.ts";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ log: () => {} });
});
afterAll(async () => {
  await emu.close();
  rmSync(emu.stateDir, { recursive: true, force: true });
});

interface ChallengeResult {
  challengeToken: string;
  seed: string;
  k: number;
  g: number;
}

async function challenge(): Promise<ChallengeResult> {
  const res = await fetch(`${emu.apiBaseUrl}/provisioning/previews/challenge`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: ChallengeResult }).result;
}

function createAccount(challengeToken: string, checkpoints: string): Promise<Response> {
  return fetch(`${emu.apiBaseUrl}/provisioning/previews`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      termsOfService: "https://www.cloudflare.com/terms/",
      privacyPolicy: "https://www.cloudflare.com/privacypolicy/",
      acceptTermsOfService: "yes",
      challengeToken,
      solution: { checkpoints },
    }),
  });
}

describe("proof of work", () => {
  test("a solved chain verifies and any altered checkpoint is refused", () => {
    const params = { seed: new Uint8Array(32).fill(7), k: 3, g: 50 };
    const solution = solveProofOfWork(params);
    expect(verifyProofOfWork(params, solution)).toBeNull();
    const bytes = Buffer.from(solution, "base64");
    bytes[70] = bytes[70]! ^ 1;
    expect(verifyProofOfWork(params, bytes.toString("base64"))).toMatch(/checkpoint 2/);
    expect(verifyProofOfWork(params, solution.slice(0, 40))).toMatch(/bytes/);
  });

  test("the challenge is one wrangler accepts: a 32-byte base64url seed and k*g within bounds", async () => {
    const c = await challenge();
    expect(Buffer.from(c.seed, "base64url")).toHaveLength(32);
    expect(
      Number.isInteger(c.k) && Number.isInteger(c.g) && c.k > 0 && c.g > 0 && c.k * c.g <= 64_000_000,
    ).toBe(true);
  });
});

describe("POST /provisioning/previews", () => {
  test("a wrong solution is refused with a non-2xx status and creates no account", async () => {
    const c = await challenge();
    const wrong = solveProofOfWork({ seed: new Uint8Array(32), k: c.k, g: c.g });
    const res = await createAccount(c.challengeToken, wrong);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { success: boolean; errors: { code: number; message: string }[] };
    expect(body.success).toBe(false);
    expect(body.errors[0]!.message).toMatch(/proof-of-work/);
    // The challenge is used up, so even the right answer no longer counts.
    const right = solveProofOfWork({ seed: Buffer.from(c.seed, "base64url"), k: c.k, g: c.g });
    expect((await createAccount(c.challengeToken, right)).status).toBe(400);
    const accounts = (await (await adminFetch(emu, `/__emulator/accounts`)).json()) as unknown[];
    expect(accounts).toHaveLength(0);
  });

  test("a right solution creates an account with a token, expiry and claim URL", async () => {
    const c = await challenge();
    const res = await createAccount(
      c.challengeToken,
      solveProofOfWork({ seed: Buffer.from(c.seed, "base64url"), k: c.k, g: c.g }),
    );
    expect(res.status).toBe(200);
    const { result } = (await res.json()) as {
      result: {
        account: { id: string; name: string; apiToken: string; expiresAt: string };
        claim: { url: string; expiresAt: string };
      };
    };
    expect(result.account.id).toMatch(/^[0-9a-f]{32}$/);
    expect(result.account.apiToken).toMatch(/^[\x20-\x7e]+$/);
    expect(Date.parse(result.account.expiresAt)).toBeGreaterThan(Date.now());
    expect(result.claim.url.startsWith(`${emu.url}/claim/`)).toBe(true);

    const subdomain = await fetch(`${emu.apiBaseUrl}/accounts/${result.account.id}/workers/subdomain`, {
      headers: { authorization: `Bearer ${result.account.apiToken}` },
    });
    expect(((await subdomain.json()) as { result: { subdomain: string } }).result.subdomain).toMatch(/^tmp-/);
    const log = emu.requestLog.list({ path: "/workers/subdomain" });
    expect(log.at(-1)?.headers).not.toHaveProperty("authorization");
  });
});

describe("errors in Cloudflare's shape", () => {
  test("an unknown endpoint answers 404 with code 7003", async () => {
    const res = await fetch(`${emu.apiBaseUrl}/accounts/abc/workers/no-such-thing`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as {
      success: boolean;
      errors: { code: number; message: string }[];
      result: null;
    };
    expect(body).toMatchObject({ success: false, result: null, messages: [] });
    expect(body.errors[0]!.code).toBe(7003);
    expect(body.errors[0]!.message).toContain("Could not route to /accounts/abc/workers/no-such-thing");
  });

  test("an unknown token is an authentication error (10000)", async () => {
    const res = await fetch(`${emu.apiBaseUrl}/accounts/abc/workers/subdomain`, {
      headers: { authorization: "Bearer nope" },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errors: { code: number }[] }).errors[0]!.code).toBe(10000);
  });

  test("the health endpoint reports the API base URL", async () => {
    const health = (await (await adminFetch(emu, `/__emulator/health`)).json()) as {
      ok: boolean;
      apiBaseUrl: string;
    };
    expect(health).toMatchObject({ ok: true, apiBaseUrl: emu.apiBaseUrl });
  });
});
