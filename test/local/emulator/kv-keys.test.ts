/**
 * KV key commands on a temporary account with the unmodified wrangler (`kv namespace create`,
 * `kv key put|get|list|delete`, `kv bulk put|delete`, all `--remote --temporary`), on the same
 * data a deployed Worker's binding reads and writes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { deployTemporary, type Project, wrangler, emulatorForFile } from "./support.ts";

const file = emulatorForFile();
let project: Project;
let namespaceId = "";
const run = (...args: string[]) => wrangler(project, [...args, "--temporary"], file.emu.apiBaseUrl);
const kvKey = (...args: string[]) => run("kv", "key", ...args, "--namespace-id", namespaceId, "--remote");
const output = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

beforeAll(() => {
  project = file.fixture("kv-keys");
});

describe("wrangler kv on a temporary account", () => {
  test("kv key put, get, list and delete, and kv bulk put and delete", async () => {
    const created = await run("kv", "namespace", "create", "NOTES");
    expect(created.code, output(created)).toBe(0);
    namespaceId = /"id": "([0-9a-f]{32})"/.exec(output(created))?.[1] ?? "";
    expect(namespaceId).not.toBe("");

    const put = await kvKey("put", "greeting", "good evening", "--metadata", '{"from":"cli"}');
    expect(put.code, output(put)).toBe(0);
    const got = await kvKey("get", "greeting", "--text");
    expect(got.code, output(got)).toBe(0);
    expect(got.stdout.trim()).toBe("good evening");

    const bulk = join(project.tmp, "bulk.json");
    writeFileSync(
      bulk,
      JSON.stringify([
        { key: "bulk-1", value: "one" },
        { key: "bulk-2", value: Buffer.from("two").toString("base64"), base64: true },
        { key: "bulk-3", value: "three" },
      ]),
    );
    const bulkPut = await run("kv", "bulk", "put", bulk, "--namespace-id", namespaceId, "--remote");
    expect(bulkPut.code, output(bulkPut)).toBe(0);
    const gone = join(project.tmp, "gone.json");
    writeFileSync(gone, JSON.stringify(["bulk-3"]));
    const bulkDelete = await run(
      "kv",
      "bulk",
      "delete",
      gone,
      "--namespace-id",
      namespaceId,
      "--remote",
      "--force",
    );
    expect(bulkDelete.code, output(bulkDelete)).toBe(0);

    const deleted = await kvKey("delete", "bulk-1");
    expect(deleted.code, output(deleted)).toBe(0);
    const listed = await kvKey("list");
    expect(listed.code, output(listed)).toBe(0);
    const names = (JSON.parse(listed.stdout) as { name: string }[]).map((k) => k.name);
    expect(names).toEqual(["bulk-2", "greeting"]);
    const missing = await kvKey("get", "bulk-1", "--text");
    // wrangler prints the status of the API's 404 for a key that is not there.
    expect(missing.code).not.toBe(0);
    expect(output(missing)).toMatch(/values\/bulk-1 - 404: Not Found/);
  });

  test("a deployed Worker reads what the CLI wrote, and the CLI reads what the Worker wrote", async () => {
    const config = join(project.dir, "wrangler.jsonc");
    writeFileSync(config, readFileSync(config, "utf8").replace("NAMESPACE_ID", namespaceId));
    const out = await deployTemporary(project, file.emu);
    const res = await fetch(file.emu.localUrl(out.workersDevUrl));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ greeting: "good evening", metadata: { from: "cli" }, bulk: "two" });
    const written = await kvKey("get", "written-by-worker", "--text");
    expect(written.code, output(written)).toBe(0);
    expect(written.stdout.trim()).toBe("hello from the Worker");
  });
});
