/**
 * What a temporary account does not have (temporary-account-support.json,
 * `supported: false`) answers like the real API would refuse it: 403 in
 * Cloudflare's envelope naming the resource on its API prefixes, and an upload
 * binding it refused naming the binding. And the static-assets limits of a
 * temporary account, enforced at the assets upload session.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { limitOf, temporaryAccountSupport } from "../../../src/jobs/temporary-account-support.ts";
import { adminFetch, provisionAccount, wrangler, emulatorForFile } from "./support.ts";

const file = emulatorForFile({ powDifficulty: { k: 2, g: 10 } });
const fixture = file.fixture;
let account: { id: string; token: string };

beforeAll(async () => {
  account = await provisionAccount(file.emu);
});

const unsupported = temporaryAccountSupport.resources.filter((r) => !r.supported);

function api(path: string, init: RequestInit = {}, token = account.token): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return fetch(`${file.emu.apiBaseUrl}${path}`, { ...init, headers });
}

interface Failure {
  success: boolean;
  errors: { code: number; message: string }[];
  result: unknown;
}

describe("resources a temporary account does not have", () => {
  test("every API prefix of an unsupported resource answers 403 naming it, for any method and depth", async () => {
    const prefixes = unsupported.flatMap((r) => (r.api ?? []).map((prefix) => ({ r, prefix })));
    expect(prefixes.length).toBeGreaterThan(5);
    for (const { r, prefix } of prefixes) {
      const base = prefix.replace(":account", account.id);
      for (const [method, path] of [
        ["GET", base],
        ["POST", base],
        ["DELETE", `${base}/some-id/deeper`],
      ] as const) {
        const res = await api(path, { method, body: method === "POST" ? "{}" : undefined });
        expect({ path, method, status: res.status }).toEqual({ path, method, status: 403 });
        const body = (await res.json()) as Failure;
        expect(body).toMatchObject({ success: false, result: null });
        expect(body.errors).toEqual([
          {
            code: 10042,
            message: `${r.name} is not available on a temporary account; claim the account to use it`,
          },
        ]);
      }
    }
  });

  test("authentication still comes first, and paths no resource manages still answer 7003", async () => {
    const wrongToken = await api(`/accounts/${account.id}/r2/buckets`, {}, "not-a-token");
    expect(wrongToken.status).toBe(401);
    const notRouted = await api(`/accounts/${account.id}/no-such-product`);
    expect(notRouted.status).toBe(404);
    expect(((await notRouted.json()) as Failure).errors[0]?.code).toBe(7003);
  });

  test("an organisation (permanent) account is told the emulator does not emulate it", async () => {
    const created = await adminFetch(file.emu, "/__emulator/accounts", {
      method: "POST",
      body: JSON.stringify({ name: "Unsupported Org" }),
    });
    const org = (await created.json()) as { id: string; apiToken: string };
    const res = await api(`/accounts/${org.id}/workflows`, {}, org.apiToken);
    expect(res.status).toBe(403);
    expect(((await res.json()) as Failure).errors[0]?.message).toBe(
      "Workflows is not available in the local emulator: it emulates what temporary accounts support",
    );
  });

  test("an upload binding any unsupported type is refused naming the binding and the resource", async () => {
    const types = unsupported.flatMap((r) => r.uploadTypes.map((type) => ({ r, type })));
    expect(types.length).toBeGreaterThan(5);
    for (const { r, type } of types) {
      const form = new FormData();
      form.set(
        "metadata",
        JSON.stringify({
          main_module: "index.js",
          compatibility_date: "2025-01-01",
          bindings: [{ name: "THING", type }],
        }),
      );
      form.set(
        "index.js",
        new File(["export default { fetch() { return new Response('x') } }"], "index.js", {
          type: "application/javascript+module",
        }),
      );
      const res = await api(`/accounts/${account.id}/workers/scripts/bind-${type.replaceAll("_", "-")}`, {
        method: "PUT",
        body: form,
      });
      expect({ type, status: res.status }).toEqual({ type, status: 400 });
      expect(((await res.json()) as Failure).errors).toEqual([
        {
          code: 10021,
          message: `Binding THING (type "${type}") needs ${r.name}, which is not available on a temporary account`,
        },
      ]);
    }
    const scripts = (await (await adminFetch(file.emu, "/__emulator/accounts")).json()) as {
      id: string;
      workers: string[];
    }[];
    expect(scripts.find((a) => a.id === account.id)?.workers).toEqual([]);
  });

  test("wrangler r2 bucket create --temporary prints the refusal and exits non-zero", async () => {
    const run = await wrangler(
      fixture("r2"),
      ["r2", "bucket", "create", "emu-bucket", "--temporary"],
      file.emu.apiBaseUrl,
    );
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain(
      "R2 is not available on a temporary account; claim the account to use it [code: 10042]",
    );
  });

  test("wrangler deploy --temporary of a Worker with an R2 binding fails naming the binding", async () => {
    const run = await wrangler(fixture("r2"), ["deploy", "--temporary"], file.emu.apiBaseUrl);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain(
      'Binding BUCKET (type "r2_bucket") needs R2, which is not available on a temporary account [code: 10021]',
    );
  });

  test("wrangler deploy --temporary of a Worker with an Analytics Engine binding fails naming the binding", async () => {
    const run = await wrangler(fixture("analytics"), ["deploy", "--temporary"], file.emu.apiBaseUrl);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain(
      'Binding EVENTS (type "analytics_engine") needs Workers Analytics Engine, which is not available on a temporary account',
    );
  });
});

describe("static assets limits of a temporary account", () => {
  const files = limitOf("assets", "files");
  const fileBytes = limitOf("assets", "fileBytes");
  const hash = (i: number) => i.toString(16).padStart(32, "0");
  const session = (manifest: Record<string, { hash: string; size: number }>) =>
    api(`/accounts/${account.id}/workers/scripts/site/assets-upload-session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ manifest }),
    });

  test("an upload session at the limits is accepted; one file more, or one byte more, is refused", async () => {
    const atLimit = Object.fromEntries(
      Array.from({ length: files }, (_, i) => [`/f${i}.txt`, { hash: hash(i), size: 1 }]),
    );
    atLimit["/f0.txt"] = { hash: hash(0), size: fileBytes };
    expect((await session(atLimit)).status).toBe(200);

    const tooMany = await session({ ...atLimit, "/one-more.txt": { hash: hash(files), size: 1 } });
    expect(tooMany.status).toBe(413);
    expect(((await tooMany.json()) as Failure).errors).toEqual([
      {
        code: 10027,
        message: `Too many static assets: ${files + 1} files, and a temporary account allows at most ${files} per Worker`,
      },
    ]);

    const tooBig = await session({ "/big.bin": { hash: hash(1), size: fileBytes + 1 } });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as Failure).errors[0]).toEqual({
      code: 10027,
      message: `Static asset /big.bin is ${fileBytes + 1} bytes, over the 5 MiB a temporary account allows per file`,
    });
  });

  test("wrangler deploy --temporary shows the refusal of a file over the limit", async () => {
    const project = fixture("assets");
    writeFileSync(join(project.dir, "public", "big.bin"), Buffer.alloc(fileBytes + 1, 1));
    const run = await wrangler(project, ["deploy", "--temporary"], file.emu.apiBaseUrl);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain(
      `Static asset /big.bin is ${fileBytes + 1} bytes, over the 5 MiB`,
    );
  });

  test("wrangler deploy --temporary shows the refusal of more files than the limit", async () => {
    const project = fixture("assets");
    for (let i = 0; i < files; i++) writeFileSync(join(project.dir, "public", `page-${i}.txt`), `page ${i}`);
    const run = await wrangler(project, ["deploy", "--temporary"], file.emu.apiBaseUrl);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain(
      `a temporary account allows at most ${files} per Worker [code: 10027]`,
    );
  });
});
