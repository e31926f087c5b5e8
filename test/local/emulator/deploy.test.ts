/**
 * The unmodified wrangler CLI deploying with `--temporary` through the
 * emulator: first deploy, redeploy, account reuse, startup failures, KV with
 * the "temporary" id, static assets, and the claim page.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { adminFetch, deployTemporary, getWithHost, wrangler, emulatorForFile } from "./support.ts";

const file = emulatorForFile();
const fixture = file.fixture;

describe("wrangler deploy --temporary against the emulator", () => {
  test("deploys a Worker, prints its workers.dev and claim URLs, and serves it at both local forms", async () => {
    const project = fixture("hello");
    const out = await deployTemporary(project, file.emu);
    expect(out.accountState).toBe("created");
    expect(out.workersDevUrl).toMatch(/^https:\/\/hello-emu\.tmp-[0-9a-f]{8}\.workers\.dev$/);
    expect(out.claimUrl.startsWith(`${file.emu.url}/claim/`)).toBe(true);

    const viaPath = await fetch(file.emu.localUrl(`${out.workersDevUrl}/some/path?q=1`));
    expect(viaPath.status).toBe(200);
    const host = new URL(out.workersDevUrl).host;
    expect(await viaPath.json()).toEqual({ hello: "world", version: "v1", host, path: "/some/path" });

    const viaHost = await getWithHost(file.emu.url, host, "/other");
    expect(viaHost.status).toBe(200);
    expect(JSON.parse(viaHost.body)).toMatchObject({ version: "v1", path: "/other" });
  });

  test("a redeploy within the window reuses the account, goes through the versions API and serves the change", async () => {
    const project = fixture("hello");
    const before = file.emu.requestLog.lastSeq;
    const first = await deployTemporary(project, file.emu);
    const source = join(project.dir, "src", "index.js");
    writeFileSync(source, readFileSync(source, "utf8").replace('"v1"', '"v2"'));
    const second = await deployTemporary(project, file.emu);

    expect(second.accountState).toBe("reused");
    expect(second.workersDevUrl).toBe(first.workersDevUrl);
    expect(second.versionId).not.toBe(first.versionId);
    const res = await fetch(file.emu.localUrl(second.workersDevUrl));
    expect(await res.json()).toMatchObject({ version: "v2" });

    const calls = file.emu.requestLog.list({ since: String(before), kind: "api" });
    expect(
      calls.filter((c) => c.method === "POST" && c.path.endsWith("/provisioning/previews")),
    ).toHaveLength(1);
    expect(calls.some((c) => c.method === "POST" && c.path.endsWith("/hello-emu/versions"))).toBe(true);
    expect(calls.some((c) => c.method === "POST" && c.path.endsWith("/hello-emu/deployments"))).toBe(true);
    expect(calls.every((c) => c.status < 500)).toBe(true);
    expect(calls.every((c) => !("authorization" in c.headers))).toBe(true);
  });

  test("a Worker that throws at startup is refused with code 10021 and wrangler says why", async () => {
    const project = fixture("broken");
    const run = await wrangler(project, ["deploy", "--temporary"], file.emu.apiBaseUrl);
    expect(run.code).not.toBe(0);
    const output = run.stdout + run.stderr;
    expect(output).toContain("boom at startup");
    expect(output).toContain("10021");
    const accounts = (await (await adminFetch(file.emu, `/__emulator/accounts`)).json()) as {
      workers: string[];
    }[];
    expect(accounts.flatMap((a) => a.workers)).not.toContain("broken-startup");
  });

  test('a KV namespace bound with the id "temporary" works in the deployed Worker', async () => {
    const out = await deployTemporary(fixture("kv"), file.emu);
    const url = file.emu.localUrl(out.workersDevUrl);
    expect(await (await fetch(url)).text()).toBe("count=1");
    expect(await (await fetch(url)).text()).toBe("count=2");
  });

  test("static assets upload through an assets session and are served beside the Worker", async () => {
    const project = fixture("assets");
    const before = file.emu.requestLog.lastSeq;
    const out = await deployTemporary(project, file.emu);
    const at = (path: string) => file.emu.localUrl(`${out.workersDevUrl}${path}`);
    const index = await fetch(at("/"));
    expect(index.status).toBe(200);
    expect(await index.text()).toContain("Hello from static assets");
    const css = await fetch(at("/style.css"));
    expect(css.headers.get("content-type")).toContain("text/css");
    expect(await css.text()).toContain("rebeccapurple");
    expect(await (await fetch(at("/api/x"))).json()).toEqual({ api: true, path: "/api/x" });
    const uploads = file.emu.requestLog.list({ since: String(before), path: "/workers/assets/upload" });
    expect(uploads.length).toBeGreaterThan(0);

    // Unchanged assets: the session reports nothing to upload.
    const mid = file.emu.requestLog.lastSeq;
    await deployTemporary(project, file.emu);
    expect(file.emu.requestLog.list({ since: String(mid), path: "/workers/assets/upload" })).toHaveLength(0);
    expect(await (await fetch(at("/"))).text()).toContain("Hello from static assets");
  });

  test("the claim page lists the Workers, claims once into a permanent account, and refuses a second claim", async () => {
    const project = fixture("hello");
    const out = await deployTemporary(project, file.emu);
    const page = await fetch(out.claimUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(new URL(out.workersDevUrl).host);

    const claimed = await fetch(out.claimUrl, { method: "POST" });
    expect(claimed.status).toBe(200);
    const html = await claimed.text();
    const permanentId = /data-account-id="([0-9a-f]{32})"/.exec(html)?.[1];
    expect(permanentId).toBeDefined();

    expect((await fetch(out.claimUrl, { method: "POST" })).status).toBe(409);
    expect((await fetch(out.claimUrl)).status).toBe(409);

    const accounts = (await (await adminFetch(file.emu, `/__emulator/accounts`)).json()) as {
      id: string;
      temporary: boolean;
      expiresAt: string | null;
      workers: string[];
    }[];
    const permanent = accounts.find((a) => a.id === permanentId);
    expect(permanent).toMatchObject({ temporary: false, expiresAt: null, workers: ["hello-emu"] });
    // The Worker kept its URL and still answers after the move.
    expect((await fetch(file.emu.localUrl(out.workersDevUrl))).status).toBe(200);
  });

  test("a custom-domain route goes through wrangler's changeset and records calls and serves that hostname", async () => {
    await adminFetch(file.emu, `/__emulator/zones`, {
      method: "POST",
      body: JSON.stringify({ name: "example.com" }),
    });
    const run = await wrangler(fixture("custom-domain"), ["deploy", "--temporary"], file.emu.apiBaseUrl);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("app.example.com (custom domain)");
    const calls = file.emu.requestLog.list({ path: "/shop-front/domains/" });
    expect(calls.map((c) => `${c.method} ${c.path.split("/shop-front")[1]}`)).toEqual([
      "POST /domains/changeset",
      "PUT /domains/records",
    ]);
    const served = await getWithHost(file.emu.url, "app.example.com", "/");
    expect(served).toEqual({ status: 200, body: "custom domain app.example.com" });
  });
});
