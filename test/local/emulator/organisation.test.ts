/**
 * Organisation (permanent) accounts made through the admin API, and claiming
 * a temporary account into one of them: its Workers and custom domains move
 * there and take its workers.dev subdomain.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import { adminFetch, getWithHost, provisionAccount, uploadWorker } from "./support.ts";

let emu: Emulator;

interface Org {
  id: string;
  name: string;
  apiToken: string;
  subdomain: string;
}
interface AccountView {
  id: string;
  temporary: boolean;
  expiresAt: string | null;
  subdomain: string;
  workers: string[];
}

const createOrg = (body: unknown) =>
  adminFetch(emu, `/__emulator/accounts`, { method: "POST", body: JSON.stringify(body) });
const accounts = async () => (await (await adminFetch(emu, `/__emulator/accounts`)).json()) as AccountView[];

/** A temporary account with one Worker (`text` is what it answers). */
async function temporaryWithWorker(script: string, text: string) {
  const temp = await provisionAccount(emu);
  const up = await uploadWorker(
    emu,
    temp,
    script,
    `export default { fetch() { return new Response("${text}"); } };`,
  );
  expect(up.status).toBe(200);
  return { temp, claimUrl: temp.claimUrl };
}

/** Uploads a Worker with a KV binding whose namespace is made for it (`"temporary"`), as wrangler does. */
function uploadKvWorker(account: { id: string; token: string }, name: string, code: string) {
  const form = new FormData();
  form.set(
    "metadata",
    JSON.stringify({
      main_module: "index.js",
      bindings: [{ type: "kv_namespace", name: "KV", namespace_id: "temporary" }],
      compatibility_date: "2025-01-01",
    }),
  );
  form.set("index.js", new File([code], "index.js", { type: "application/javascript+module" }));
  return fetch(`${emu.apiBaseUrl}/accounts/${account.id}/workers/scripts/${name}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${account.token}` },
    body: form,
  });
}

const claim = (claimUrl: string, account?: string) =>
  fetch(claimUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: account === undefined ? "" : new URLSearchParams({ account }).toString(),
  });

beforeAll(async () => {
  emu = await startEmulator({ log: () => {} });
});
afterAll(async () => {
  await emu.close();
  rmSync(emu.stateDir, { recursive: true, force: true });
});

describe("organisation accounts", () => {
  test("a permanent account with its own token and subdomain, never expiring", async () => {
    const res = await createOrg({ name: "Acme Corp" });
    expect(res.status).toBe(200);
    const org = (await res.json()) as Org;
    expect(org).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name: "Acme Corp",
      subdomain: "acme-corp",
    });
    const sub = await fetch(`${emu.apiBaseUrl}/accounts/${org.id}/workers/subdomain`, {
      headers: { authorization: `Bearer ${org.apiToken}` },
    });
    expect(((await sub.json()) as { result: { subdomain: string } }).result.subdomain).toBe("acme-corp");
    expect((await accounts()).find((a) => a.id === org.id)).toMatchObject({
      temporary: false,
      expiresAt: null,
    });
    expect((await adminFetch(emu, `/__emulator/accounts/${org.id}/expire`, { method: "POST" })).status).toBe(
      404,
    );
  });

  test("a second account of the same name gets another subdomain; an explicit one must be free and valid", async () => {
    const again = (await (await createOrg({ name: "Acme Corp" })).json()) as Org;
    expect(again.subdomain).toBe("acme-corp-2");
    const chosen = (await (await createOrg({ name: "Beta", subdomain: "beta-labs" })).json()) as Org;
    expect(chosen.subdomain).toBe("beta-labs");
    const taken = await createOrg({ name: "Other", subdomain: "beta-labs" });
    expect(taken.status).toBe(400);
    expect(JSON.stringify(await taken.json())).toContain("subdomain beta-labs is already taken");
    expect((await createOrg({ name: "Bad", subdomain: "-nope-" })).status).toBe(400);
    expect((await createOrg({})).status).toBe(400);
  });
});

describe("claiming into an existing account", () => {
  test("the Workers and their custom domains move in and take the account's subdomain", async () => {
    const org = (await (await createOrg({ name: "Claimers" })).json()) as Org;
    await adminFetch(emu, `/__emulator/zones`, {
      method: "POST",
      body: JSON.stringify({ name: "claim.example" }),
    });
    const { temp, claimUrl } = await temporaryWithWorker("landing", "hello from landing");
    const attached = await fetch(`${emu.apiBaseUrl}/accounts/${temp.id}/workers/domains`, {
      method: "PUT",
      headers: { authorization: `Bearer ${temp.token}`, "content-type": "application/json" },
      body: JSON.stringify({ hostname: "www.claim.example", service: "landing" }),
    });
    expect(attached.status).toBe(200);

    const page = await fetch(claimUrl);
    expect(await page.text()).toContain('name="account"');
    const claimed = await claim(claimUrl, org.id);
    expect(claimed.status).toBe(200);
    const html = await claimed.text();
    expect(html).toContain(`data-account-id="${org.id}"`);
    expect(html).toContain('data-worker-url="https://landing.claimers.workers.dev"');

    const after = await accounts();
    expect(after.find((a) => a.id === temp.id)).toBeUndefined();
    expect(after.find((a) => a.id === org.id)?.workers).toEqual(["landing"]);
    const served = await fetch(emu.localUrl("https://landing.claimers.workers.dev/"));
    expect(await served.text()).toBe("hello from landing");
    expect((await fetch(emu.localUrl(`https://landing.${temp.subdomain}.workers.dev/`))).status).toBe(404);

    const domains = await fetch(`${emu.apiBaseUrl}/accounts/${org.id}/workers/domains`, {
      headers: { authorization: `Bearer ${org.apiToken}` },
    });
    expect(
      ((await domains.json()) as { result: { hostname: string }[] }).result.map((d) => d.hostname),
    ).toEqual(["www.claim.example"]);
    expect(await getWithHost(emu.url, "www.claim.example", "/")).toEqual({
      status: 200,
      body: "hello from landing",
    });
    expect((await claim(claimUrl, org.id)).status).toBe(409);
  });

  test("KV data moves in beside the account's own", async () => {
    const org = (await (await createOrg({ name: "Data Co" })).json()) as Org;
    const temp = await provisionAccount(emu);
    const counter = (name: string) =>
      `export default { async fetch(req, env) {
        if (req.method === "POST") await env.KV.put("who", "${name}");
        return new Response(await env.KV.get("who"));
      } };`;
    expect((await uploadKvWorker({ id: org.id, token: org.apiToken }, "org-kv", counter("org"))).status).toBe(
      200,
    );
    expect((await uploadKvWorker(temp, "temp-kv", counter("temp"))).status).toBe(200);
    const orgUrl = emu.localUrl(`https://org-kv.${org.subdomain}.workers.dev/`);
    expect(await (await fetch(orgUrl, { method: "POST" })).text()).toBe("org");
    expect(
      await (
        await fetch(emu.localUrl(`https://temp-kv.${temp.subdomain}.workers.dev/`), { method: "POST" })
      ).text(),
    ).toBe("temp");

    const moved = await claim(temp.claimUrl, org.id);
    expect(await moved.text()).toContain("Account claimed");
    expect(await (await fetch(emu.localUrl(`https://temp-kv.${org.subdomain}.workers.dev/`))).text()).toBe(
      "temp",
    );
    expect(await (await fetch(orgUrl)).text()).toBe("org");
  });

  test("the account can be named in the query instead of the form", async () => {
    const org = (await (await createOrg({ name: "Query Co" })).json()) as Org;
    const { claimUrl } = await temporaryWithWorker("q-worker", "q");
    const claimed = await fetch(`${claimUrl}?account=${org.id}`, { method: "POST" });
    expect(claimed.status).toBe(200);
    expect((await accounts()).find((a) => a.id === org.id)?.workers).toEqual(["q-worker"]);
  });

  test("an unknown account, a temporary one or a Worker name already there is refused and nothing moves", async () => {
    const org = (await (await createOrg({ name: "Full House" })).json()) as Org;
    const existing = await uploadWorker(
      emu,
      { id: org.id, token: org.apiToken },
      "taken",
      `export default { fetch() { return new Response("org's own"); } };`,
    );
    expect(existing.status).toBe(200);
    const { temp, claimUrl } = await temporaryWithWorker("taken", "temporary one");
    const other = await provisionAccount(emu);

    const unknown = await claim(claimUrl, "0".repeat(32));
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain(`there is no account ${"0".repeat(32)}`);
    const temporary = await claim(claimUrl, other.id);
    expect(temporary.status).toBe(400);
    expect(await temporary.text()).toContain("is a temporary account");
    const clash = await claim(claimUrl, org.id);
    expect(clash.status).toBe(400);
    expect(await clash.text()).toContain("already has Workers named taken");

    expect((await accounts()).find((a) => a.id === temp.id)?.workers).toEqual(["taken"]);
    expect((await fetch(claimUrl)).status).toBe(200); // still claimable
    expect(await (await fetch(emu.localUrl(`https://taken.${org.subdomain}.workers.dev/`))).text()).toBe(
      "org's own",
    );

    // Without an account it still claims into a new permanent account, keeping the subdomain.
    const fresh = await claim(claimUrl);
    expect(fresh.status).toBe(200);
    expect(await (await fetch(emu.localUrl(`https://taken.${temp.subdomain}.workers.dev/`))).text()).toBe(
      "temporary one",
    );
  });
});
