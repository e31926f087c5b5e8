/**
 * D1 on a temporary account through the unmodified wrangler: `d1 create`,
 * `list`, `info`, `migrations apply --remote`, `execute --remote` (--command
 * and --file), a deployed Worker whose binding reads and writes the same
 * database, auto-provisioning on deploy, the one-database and size limits,
 * and the data following the account (deleted on expiry, moved by a claim).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { limitOf } from "../../../src/jobs/temporary-account-support.ts";
import { splitSql } from "../../../src/local/emulator/sql-split.ts";
import {
  adminFetch,
  deployTemporary,
  type Project,
  provisionAccount,
  type WranglerRun,
  wrangler,
  emulatorForFile,
} from "./support.ts";

const file = emulatorForFile();
const fixture = file.fixture;

async function run(project: Project, args: string[]): Promise<WranglerRun> {
  const out = await wrangler(project, args, file.emu.apiBaseUrl);
  if (out.code !== 0)
    throw new Error(`wrangler ${args.join(" ")} failed (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  return out;
}

/** The temporary account wrangler cached for `project` (its id and token). */
function cachedAccount(project: Project): { id: string; apiToken: string } {
  const file = join(project.xdg, ".wrangler", "wrangler-temporary-account.toml");
  return (parse(readFileSync(file, "utf8")) as { account: { id: string; apiToken: string } }).account;
}

const api = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${file.emu.apiBaseUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });

/** The rows of `wrangler d1 execute --json` (one result per statement). */
function rowsOf(out: WranglerRun): Record<string, unknown>[][] {
  return (JSON.parse(out.stdout) as { results: Record<string, unknown>[] }[]).map((r) => r.results);
}

describe("splitSql", () => {
  test("splits on semicolons outside quotes, comments and trigger bodies", () => {
    expect(
      splitSql(`
        -- a comment; not a statement
        CREATE TABLE t (a TEXT); /* also; not */ INSERT INTO t VALUES ('x;y'), ("q;"), ([b;]);
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN
          UPDATE t SET a = CASE WHEN a = 'z' THEN 'w' ELSE a END; DELETE FROM t WHERE a = '';
        END;
        SELECT 'it''s; fine';;
      `),
    ).toEqual([
      "-- a comment; not a statement\n        CREATE TABLE t (a TEXT)",
      `/* also; not */ INSERT INTO t VALUES ('x;y'), ("q;"), ([b;])`,
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n          UPDATE t SET a = CASE WHEN a = 'z' THEN 'w' ELSE a END; DELETE FROM t WHERE a = '';\n        END",
      "SELECT 'it''s; fine'",
    ]);
  });
  test("drops statements that are only comments", () => {
    expect(splitSql("-- nothing\n/* here */ ;  ")).toEqual([]);
  });
});

describe("D1 on a temporary account", () => {
  test("create, list, migrate, execute and info with wrangler; a deployed Worker's binding sees the same rows; one database per account; a claim moves it", async () => {
    const project = fixture("d1");
    const created = await run(project, ["d1", "create", "notes", "--temporary"]);
    const databaseId = /"database_id": "([0-9a-f-]{36})"/.exec(created.stdout)?.[1];
    expect(databaseId, created.stdout).toBeDefined();
    const config = join(project.dir, "wrangler.jsonc");
    writeFileSync(config, readFileSync(config, "utf8").replace("DATABASE_ID", databaseId!));

    const listed = JSON.parse((await run(project, ["d1", "list", "--json", "--temporary"])).stdout);
    expect(listed).toEqual([expect.objectContaining({ uuid: databaseId, name: "notes" })]);

    const applied = await run(project, ["d1", "migrations", "apply", "notes", "--remote", "--temporary"]);
    expect(applied.stdout).toMatch(/0001_notes\.sql\s*│ ✅/);
    expect(applied.stdout).toMatch(/0002_seed\.sql\s*│ ✅/);
    const again = await run(project, ["d1", "migrations", "apply", "notes", "--remote", "--temporary"]);
    expect(again.stdout).toContain("No migrations to apply");

    const select = ["d1", "execute", "notes", "--remote", "--temporary", "--json", "--command"];
    expect(rowsOf(await run(project, [...select, "SELECT id, body FROM notes ORDER BY id"]))).toEqual([
      [
        { id: 1, body: "first; with a semicolon" },
        { id: 2, body: "second" },
      ],
    ]);

    // The Worker reads the migrated table through its binding, and what it writes the API reads.
    const out = await deployTemporary(project, file.emu);
    const worker = file.emu.localUrl(out.workersDevUrl);
    expect(await (await fetch(worker)).json()).toEqual([
      { id: 1, body: "first; with a semicolon" },
      { id: 2, body: "second" },
    ]);
    await fetch(`${worker}add?body=from-the-worker`);
    expect(rowsOf(await run(project, [...select, "SELECT body FROM notes WHERE id = 3"]))).toEqual([
      [{ body: "from-the-worker" }],
    ]);

    // --file goes through the import flow (init, upload, ingest); the trigger from 0001 fires.
    writeFileSync(
      join(project.dir, "more.sql"),
      "INSERT INTO notes (body) VALUES ('from a file');\nUPDATE notes SET body = 'edited' WHERE id = 1;\n",
    );
    const imported = await run(project, [
      "d1",
      "execute",
      "notes",
      "--remote",
      "--temporary",
      "--yes",
      "--file",
      "more.sql",
    ]);
    expect(imported.stdout).toContain("Executed 2 queries");
    expect(await (await fetch(worker)).json()).toEqual([
      { id: 1, body: "edited" },
      { id: 2, body: "second" },
      { id: 3, body: "from-the-worker" },
      { id: 4, body: "from a file" },
    ]);
    expect(rowsOf(await run(project, [...select, "SELECT updated FROM notes WHERE id = 1"]))).toEqual([
      [{ updated: 1 }],
    ]);

    const info = JSON.parse((await run(project, ["d1", "info", "notes", "--json", "--temporary"])).stdout);
    expect(info).toMatchObject({ uuid: databaseId, name: "notes", num_tables: 2 }); // notes and d1_migrations
    expect(info.database_size).toBeGreaterThan(0);

    const failedSql = await wrangler(
      project,
      [...select, "SELECT * FROM no_such_table"],
      file.emu.apiBaseUrl,
    );
    expect(failedSql.code).not.toBe(0);
    expect(failedSql.stdout + failedSql.stderr).toContain("no such table: no_such_table");

    // One database per temporary account: wrangler's own message, and the API's envelope names the limit.
    const second = await wrangler(project, ["d1", "create", "second", "--temporary"], file.emu.apiBaseUrl);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain("You have reached the maximum number of D1 databases");
    const account = cachedAccount(project);
    const refused = await api(`/accounts/${account.id}/d1/database`, account.apiToken, {
      method: "POST",
      body: JSON.stringify({ name: "second" }),
    });
    expect(refused.status).toBe(400);
    const envelope = (await refused.json()) as {
      success: boolean;
      errors: { code: number; message: string }[];
    };
    expect(envelope.success).toBe(false);
    expect(envelope.errors[0]?.code).toBe(7406);
    expect(envelope.errors[0]?.message).toContain(`temporary account (${limitOf("d1", "databases")})`);

    // A claim into an organisation's account moves the database: its API lists and queries it,
    // and the Worker (restarted on the new account's data) still reads the rows.
    const org = (await (
      await adminFetch(file.emu, "/__emulator/accounts", {
        method: "POST",
        body: JSON.stringify({ name: "D1 Org" }),
      })
    ).json()) as { id: string; apiToken: string; subdomain: string };
    // An organisation that already has a database of that name is refused, and nothing moves.
    const clash = await api(`/accounts/${org.id}/d1/database`, org.apiToken, {
      method: "POST",
      body: JSON.stringify({ name: "notes" }),
    });
    const clashId = ((await clash.json()) as { result: { uuid: string } }).result.uuid;
    const refusedClaim = await fetch(`${out.claimUrl}?account=${org.id}`, { method: "POST" });
    expect(refusedClaim.status).toBe(400);
    expect(await refusedClaim.text()).toContain("already has D1 databases named notes");
    expect((await fetch(worker)).status).toBe(200);
    expect(
      (await api(`/accounts/${org.id}/d1/database/${clashId}`, org.apiToken, { method: "DELETE" })).status,
    ).toBe(200);
    expect((await fetch(`${out.claimUrl}?account=${org.id}`, { method: "POST" })).status).toBe(200);
    const orgList = (await (await api(`/accounts/${org.id}/d1/database`, org.apiToken)).json()) as {
      result: { uuid: string }[];
    };
    expect(orgList.result.map((d) => d.uuid)).toEqual([databaseId]);
    const query = await api(`/accounts/${org.id}/d1/database/${databaseId}/query`, org.apiToken, {
      method: "POST",
      body: JSON.stringify({ sql: "SELECT count(*) AS n FROM notes" }),
    });
    expect(((await query.json()) as { result: { results: unknown[] }[] }).result[0]?.results).toEqual([
      { n: 4 },
    ]);
    const movedUrl = out.workersDevUrl.replace(/\.[^.]+\.workers\.dev/, `.${org.subdomain}.workers.dev`);
    expect(((await (await fetch(file.emu.localUrl(movedUrl))).json()) as unknown[]).length).toBe(4);
    expect(existsSync(join(file.emu.stateDir, "data", account.id))).toBe(false);
  }, 300_000);

  test("a binding without database_id is provisioned by wrangler deploy; expiry deletes the database with the account", async () => {
    const project = fixture("d1-auto");
    const out = await deployTemporary(project, file.emu);
    const worker = file.emu.localUrl(out.workersDevUrl);
    expect(await (await fetch(worker)).text()).toBe("visits=1");
    expect(await (await fetch(worker)).text()).toBe("visits=2");

    const listed = JSON.parse((await run(project, ["d1", "list", "--json", "--temporary"])).stdout);
    expect(listed).toEqual([expect.objectContaining({ name: "d1-auto-db" })]);
    const counted = await run(project, [
      "d1",
      "execute",
      "DB",
      "--remote",
      "--temporary",
      "--json",
      "--command",
      "SELECT count(*) AS n FROM visits",
    ]);
    expect(rowsOf(counted)).toEqual([[{ n: 2 }]]);
    // A redeploy finds the provisioned database again instead of creating a second one.
    await deployTemporary(project, file.emu);
    expect(await (await fetch(worker)).text()).toBe("visits=3");

    const account = cachedAccount(project);
    expect(
      (await adminFetch(file.emu, `/__emulator/accounts/${account.id}/expire`, { method: "POST" })).status,
    ).toBe(200);
    const gone = await api(`/accounts/${account.id}/d1/database`, account.apiToken);
    expect(gone.status).toBe(401);
    expect(existsSync(join(file.emu.stateDir, "data", account.id))).toBe(false);
    const state = JSON.parse(readFileSync(join(file.emu.stateDir, "state.json"), "utf8")) as {
      d1Databases: Record<string, { accountId: string }>;
    };
    expect(Object.values(state.d1Databases).filter((d) => d.accountId === account.id)).toEqual([]);
  }, 240_000);

  test("a database over the size limit refuses writes and still answers reads; delete empties it and frees the limit", async () => {
    const account = await provisionAccount(file.emu);
    const created = (await (
      await api(`/accounts/${account.id}/d1/database`, account.token, {
        method: "POST",
        body: JSON.stringify({ name: "big" }),
      })
    ).json()) as { result: { uuid: string } };
    const query = (sql: string) =>
      api(`/accounts/${account.id}/d1/database/${created.result.uuid}/query`, account.token, {
        method: "POST",
        body: JSON.stringify({ sql }),
      });
    const limit = limitOf("d1", "databaseBytes");
    const blob = 1_000_000;
    const fill = await query(
      `CREATE TABLE big (b BLOB); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${Math.ceil(limit / blob)}) INSERT INTO big SELECT randomblob(${blob}) FROM c`,
    );
    expect(fill.status).toBe(200);

    const write = await query("INSERT INTO big VALUES (x'00')");
    expect(write.status).toBe(400);
    const refused = (await write.json()) as { errors: { code: number; message: string }[] };
    expect(refused.errors[0]?.code).toBe(7500);
    expect(refused.errors[0]?.message).toContain(`may hold ${limit}`);

    const read = await query("SELECT count(*) AS n FROM big");
    expect(read.status).toBe(200);
    expect(((await read.json()) as { result: { results: unknown[] }[] }).result[0]?.results).toEqual([
      { n: Math.ceil(limit / blob) },
    ]);

    // A Worker bound to it reads the same rows; once the database is deleted it finds none.
    const form = new FormData();
    form.set(
      "metadata",
      JSON.stringify({
        main_module: "index.js",
        compatibility_date: "2025-01-01",
        bindings: [{ type: "d1", name: "DB", id: created.result.uuid }],
      }),
    );
    const code = `export default { async fetch(_r, env) {
      try { return new Response(String((await env.DB.prepare("SELECT count(*) AS n FROM big").first()).n)); }
      catch (e) { return new Response(String(e.message)); } } };`;
    form.set("index.js", new File([code], "index.js", { type: "application/javascript+module" }));
    const upload = await fetch(`${file.emu.apiBaseUrl}/accounts/${account.id}/workers/scripts/big-reader`, {
      method: "PUT",
      headers: { authorization: `Bearer ${account.token}` },
      body: form,
    });
    expect(upload.status).toBe(200);
    const reader = file.emu.localUrl(`https://big-reader.${account.subdomain}.workers.dev/`);
    expect(await (await fetch(reader)).text()).toBe(String(Math.ceil(limit / blob)));

    // Deleting it frees the account's one database: a new one of the same name starts empty.
    const base = `/accounts/${account.id}/d1/database`;
    expect((await api(`${base}/big`, account.token, { method: "DELETE" })).status).toBe(200);
    expect(await (await fetch(reader)).text()).toContain("no such table: big");
    expect(((await (await api(base, account.token)).json()) as { result: unknown[] }).result).toEqual([]);
    const again = await api(base, account.token, { method: "POST", body: JSON.stringify({ name: "big" }) });
    expect(again.status).toBe(200);
    const fresh = ((await again.json()) as { result: { uuid: string } }).result.uuid;
    expect(fresh).not.toBe(created.result.uuid);
    const empty = await api(`${base}/${fresh}/query`, account.token, {
      method: "POST",
      body: JSON.stringify({ sql: "SELECT count(*) FROM big" }),
    });
    expect(((await empty.json()) as { errors: { message: string }[] }).errors[0]?.message).toContain(
      "no such table: big",
    );
  });
});
