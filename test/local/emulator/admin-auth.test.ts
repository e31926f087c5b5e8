/**
 * Issue 15: the emulator's admin routes (`/__emulator/*`: accounts, expiry,
 * fault injection, zones, the request log) answered anyone, code in a
 * Sandbox included, which could mint accounts, end another run's account or
 * inject faults. Now they demand the per-start admin secret; what real
 * Cloudflare shows anyone (its API with account tokens, the claim page, the
 * terms, workers.dev) stays as it was.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import { adminFetch, getWithHost, provisionAccount, uploadWorker } from "./support.ts";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ log: () => {} });
});

afterAll(async () => {
  await emu?.close();
  rmSync(emu.stateDir, { recursive: true, force: true });
});

const ADMIN_CALLS: [method: string, path: string, body?: unknown][] = [
  ["GET", "/__emulator/accounts"],
  ["POST", "/__emulator/accounts", { name: "Mallory Inc" }],
  ["POST", "/__emulator/accounts/acc-nope/expire"],
  ["GET", "/__emulator/zones"],
  ["POST", "/__emulator/zones", { name: "mallory.example" }],
  ["GET", "/__emulator/requests"],
  ["DELETE", "/__emulator/requests"],
  ["GET", "/__emulator/faults"],
  ["POST", "/__emulator/faults", { pathPrefix: "/client/v4/", action: "status", status: 500 }],
  ["DELETE", "/__emulator/faults"],
  ["POST", "/__emulator/workers/hello.tmp-00000000.workers.dev/scheduled?cron=*"],
  // not the admin secret, but the queue's own delivery token: none of these is it
  ["POST", "/__emulator/queue-delivery/acc-nope/jobs", { messages: [] }],
];

const call = (method: string, path: string, body: unknown, authorization?: string) =>
  fetch(`${emu.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe("the emulator's admin routes", () => {
  it("answer 401 with a JSON error without the secret or with a wrong one, and change nothing", async () => {
    const temp = await provisionAccount(emu);
    for (const authorization of [
      undefined,
      "Bearer wrong",
      `Bearer ${emu.adminSecret}x`,
      `Bearer ${temp.token}`, // an account's API token is not the admin secret
      emu.adminSecret,
    ]) {
      for (const [method, path, body] of ADMIN_CALLS) {
        const response = await call(method, path.replace("acc-nope", temp.id), body, authorization);
        expect(response.status, `${method} ${path} with ${authorization ? "a wrong secret" : "none"}`).toBe(
          401,
        );
        const json = (await response.json()) as { success: boolean; errors: { code: number }[] };
        expect(json.success).toBe(false);
        expect(json.errors[0]?.code).toBe(10000);
      }
    }
    // Nothing happened: no account made or ended, no zone, no fault.
    const accounts = (await (await adminFetch(emu, "/__emulator/accounts")).json()) as { id: string }[];
    expect(accounts.map((a) => a.id)).toEqual([temp.id]);
    const zones = (await (await adminFetch(emu, "/__emulator/zones")).json()) as { result: unknown[] };
    expect(zones.result).toEqual([]);
    expect(await (await adminFetch(emu, "/__emulator/faults")).json()).toEqual([]);
  });

  it("work with the right secret", async () => {
    const made = await adminFetch(emu, "/__emulator/accounts", {
      method: "POST",
      body: JSON.stringify({ name: "Acme" }),
    });
    expect(made.status).toBe(200);
    expect(((await made.json()) as { name: string }).name).toBe("Acme");
    expect((await adminFetch(emu, "/__emulator/requests")).status).toBe(200);
  });

  it("leave open what real Cloudflare shows anyone: health, terms, the API with its own tokens, workers.dev", async () => {
    const health = await fetch(`${emu.url}/__emulator/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).not.toContain(emu.adminSecret);
    expect((await fetch(`${emu.url}/__emulator/terms`)).status).toBe(200);
    const temp = await provisionAccount(emu);
    expect(
      (await uploadWorker(emu, temp, "open", 'export default { fetch() { return new Response("hi"); } };'))
        .status,
    ).toBe(200);
    const served = await getWithHost(emu.url, `open.${temp.subdomain}.workers.dev`, "/");
    expect(served.body).toBe("hi");
    // The claim page is reached by a person holding the claim URL: no admin secret.
    const claim = await fetch(temp.claimUrl.replace(/^https?:\/\/[^/]+/, emu.url));
    expect(claim.status).toBe(200);
  });
});
