/**
 * D1 databases: create, list, get (by uuid or name), delete, `/query`, and
 * the import flow `wrangler d1 execute --file --remote` uses (init → upload
 * → ingest). Queries run on the same SQLite file the Workers' `d1_databases`
 * bindings use (see `d1-runner.ts`), so what `d1 migrations apply` writes, the
 * deployed Worker reads.
 *
 * A temporary account holds at most `limitOf("d1", "databases")` databases,
 * and a database over `limitOf("d1", "databaseBytes")` refuses statements
 * that could write (reads still answer), as a full D1 database does.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { limitOf } from "../../../jobs/temporary-account-support.ts";
import { callerAccount, type Handler, json, jsonBody, param, type Services } from "../context.ts";
import type { D1StatementResult } from "../d1-runner.ts";
import { CfApiError, ok, paginate } from "../envelope.ts";
import { dataDir } from "../files.ts";
import { uuid } from "../ids.ts";
import { splitSql } from "../sql-split.ts";
import type { AccountRecord, D1DatabaseRecord } from "../state.ts";

/** D1's own API error codes (wrangler reads 7406 and 7502 in `d1 create` and auto-provisioning). */
export const D1Code = {
  invalidRequest: 7400,
  notFound: 7404,
  limitReached: 7406,
  queryFailed: 7500,
  nameTaken: 7502,
} as const;

const accountDataDir = (svc: Services, accountId: string) => join(svc.store.dir, dataDir(accountId));

function databasesOf(svc: Services, accountId: string): D1DatabaseRecord[] {
  return Object.values(svc.store.state.d1Databases)
    .filter((db) => db.accountId === accountId)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The database named by `:database` in the path: its uuid or its name (wrangler sends either). */
function requireDatabase(svc: Services, account: AccountRecord, idOrName: string): D1DatabaseRecord {
  const db = databasesOf(svc, account.id).find((d) => d.uuid === idOrName || d.name === idOrName);
  if (!db) throw new CfApiError(404, D1Code.notFound, `The database ${idOrName} could not be found.`);
  return db;
}

async function stats(
  svc: Services,
  db: D1DatabaseRecord,
): Promise<{ num_tables: number; file_size: number }> {
  const out = await svc.d1.batch(accountDataDir(svc, db.accountId), db.accountId, db.uuid, [
    {
      sql: "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
    },
  ]);
  if (!out.ok) return { num_tables: 0, file_size: 0 };
  const first = out.results[0];
  return { num_tables: Number(first?.results[0]?.n ?? 0), file_size: Number(first?.meta.size_after ?? 0) };
}

function summary(db: D1DatabaseRecord) {
  return {
    uuid: db.uuid,
    name: db.name,
    created_at: db.createdAt,
    version: "production",
    jurisdiction: db.jurisdiction,
  };
}

const CreateBody = z.looseObject({
  name: z.string().min(1),
  primary_location_hint: z.string().optional(),
  jurisdiction: z.string().optional(),
});

export const createD1Database: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const body = jsonBody(ctx, CreateBody);
  const existing = databasesOf(svc, account.id);
  if (existing.some((db) => db.name === body.name))
    throw new CfApiError(400, D1Code.nameTaken, "A database with that name already exists");
  const limit = limitOf("d1", "databases");
  if (account.temporary && existing.length >= limit) {
    throw new CfApiError(
      400,
      D1Code.limitReached,
      `You have reached the maximum number of D1 databases for a temporary account (${limit}): delete ${existing.map((db) => db.name).join(", ")} or claim the account to create more.`,
    );
  }
  const db: D1DatabaseRecord = {
    uuid: uuid(),
    accountId: account.id,
    name: body.name,
    createdAt: svc.now().toISOString(),
    jurisdiction: body.jurisdiction ?? null,
  };
  svc.store.state.d1Databases[db.uuid] = db;
  svc.store.save();
  svc.log(`created D1 database ${db.name} (${db.uuid}) in account ${account.id}`);
  return json(ok({ ...summary(db), num_tables: 0, file_size: 0 }));
};

export const listD1Databases: Handler = async (ctx, svc) => {
  const account = callerAccount(ctx);
  const name = ctx.query.get("name");
  const all = databasesOf(svc, account.id).filter((db) => !name || db.name === name);
  const { page, info } = paginate(all, ctx.query, 1000);
  const rows = [];
  for (const db of page) rows.push({ ...summary(db), ...(await stats(svc, db)) });
  return json(ok(rows, info));
};

export const getD1Database: Handler = async (ctx, svc) => {
  const db = requireDatabase(svc, callerAccount(ctx), param(ctx, "database"));
  // `fields=uuid,name` is the lookup wrangler makes before each command: no need to open the file
  const fields = ctx.query.get("fields");
  const extra = fields ? {} : await stats(svc, db);
  return json(ok({ ...summary(db), ...extra, read_replication: { mode: "disabled" } }));
};

/**
 * Empties a database being deleted, so a Worker still bound to its uuid finds no data. The
 * file itself stays until the account's data goes: Miniflare names it by a hash of the uuid.
 */
async function dropEverything(svc: Services, db: D1DatabaseRecord): Promise<void> {
  const dir = accountDataDir(svc, db.accountId);
  const listed = await svc.d1.batch(dir, db.accountId, db.uuid, [
    {
      sql: "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
    },
  ]);
  if (!listed.ok) return;
  const drops = (listed.results[0]?.results ?? []).map((row) => ({
    sql: `DROP ${row.type === "view" ? "VIEW" : "TABLE"} IF EXISTS "${String(row.name).replaceAll('"', '""')}"`,
  }));
  if (drops.length === 0) return;
  const dropped = await svc.d1.batch(dir, db.accountId, db.uuid, [
    { sql: "PRAGMA defer_foreign_keys = on" },
    ...drops,
  ]);
  if (!dropped.ok) svc.log(`D1 database ${db.uuid} deleted, but emptying it failed: ${dropped.error}`);
}

export const deleteD1Database: Handler = async (ctx, svc) => {
  const account = callerAccount(ctx);
  const db = requireDatabase(svc, account, param(ctx, "database"));
  await dropEverything(svc, db);
  await svc.d1.closeDatabase(account.id, db.uuid);
  delete svc.store.state.d1Databases[db.uuid];
  svc.store.save();
  return json(ok(null));
};

const QueryBody = z.object({
  sql: z.string().min(1),
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

/** Statements that only read, which a full database still answers. */
function isReadOnly(sql: string): boolean {
  return /^\s*(select|explain)\b/i.test(sql.replace(/^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/))*/, ""));
}

/** Runs `sql` (one or more statements) in one transaction; the answer is one result per statement. */
async function runStatements(
  svc: Services,
  account: AccountRecord,
  db: D1DatabaseRecord,
  sql: string,
  params: unknown[] | undefined,
): Promise<D1StatementResult[]> {
  const statements = splitSql(sql);
  if (statements.length === 0)
    throw new CfApiError(400, D1Code.invalidRequest, "No SQL statements detected.");
  if (params?.length && statements.length > 1)
    throw new CfApiError(
      400,
      D1Code.invalidRequest,
      `params were given with ${statements.length} statements; parameters bind to a single statement`,
    );
  const dir = accountDataDir(svc, account.id);
  if (account.temporary && !statements.every(isReadOnly)) {
    const limit = limitOf("d1", "databaseBytes");
    const size = await svc.d1.sizeOf(dir, account.id, db.uuid);
    if (size >= limit)
      throw new CfApiError(
        400,
        D1Code.queryFailed,
        `Exceeded maximum DB size: database ${db.name} holds ${size} bytes and a temporary account's D1 database may hold ${limit}: SQLITE_FULL`,
      );
  }
  const out = await svc.d1.batch(
    dir,
    account.id,
    db.uuid,
    statements.map((s) => ({ sql: s, ...(params ? { params } : {}) })),
  );
  if (!out.ok) throw new CfApiError(400, D1Code.queryFailed, out.error);
  return out.results;
}

export const queryD1Database: Handler = async (ctx, svc) => {
  const account = callerAccount(ctx);
  const db = requireDatabase(svc, account, param(ctx, "database"));
  const body = jsonBody(ctx, QueryBody);
  return json(ok(await runStatements(svc, account, db, body.sql, body.params)));
};

/** Where an announced import's file waits between its upload and its ingestion. */
function importFile(svc: Services, accountId: string, filename: string, ext: "etag" | "sql"): string {
  return join(accountDataDir(svc, accountId), "d1-imports", `${filename}.${ext}`);
}

const FILENAME = /^[0-9a-f]{32}$/;

const ImportBody = z.discriminatedUnion("action", [
  z.object({ action: z.literal("init"), etag: z.string().min(1) }),
  z.object({ action: z.literal("ingest"), etag: z.string().min(1), filename: z.string().regex(FILENAME) }),
  z.object({ action: z.literal("poll"), current_bookmark: z.string().optional() }),
]);

/**
 * POST …/import. `init` answers an upload URL (on Cloudflare a presigned R2
 * URL; here the emulator's own, with the random file name as its credential);
 * `ingest` runs the uploaded file in one transaction and answers "complete"
 * at once, so wrangler never needs `poll`.
 */
export const importD1Database: Handler = async (ctx, svc) => {
  const account = callerAccount(ctx);
  const db = requireDatabase(svc, account, param(ctx, "database"));
  const body = jsonBody(ctx, ImportBody);
  if (body.action === "init") {
    const filename = randomBytes(16).toString("hex");
    const marker = importFile(svc, account.id, filename, "etag");
    mkdirSync(join(marker, ".."), { recursive: true });
    writeFileSync(marker, body.etag);
    return json(
      ok({
        success: true,
        filename,
        upload_url: `${svc.baseUrl()}/client/v4/accounts/${account.id}/d1/database/${db.uuid}/import/${filename}`,
      }),
    );
  }
  if (body.action === "poll")
    throw new CfApiError(400, D1Code.invalidRequest, "There is no import in progress to poll");
  const sqlFile = importFile(svc, account.id, body.filename, "sql");
  if (!existsSync(sqlFile))
    throw new CfApiError(400, D1Code.invalidRequest, `Nothing was uploaded as ${body.filename}`);
  const sql = readFileSync(sqlFile, "utf8");
  rmSync(sqlFile, { force: true });
  const began = performance.now();
  const results = await runStatements(svc, account, db, sql, undefined);
  const sum = (key: string) => results.reduce((n, r) => n + Number(r.meta[key] ?? 0), 0);
  return json(
    ok({
      success: true,
      status: "complete",
      type: "import",
      messages: [],
      errors: [],
      at_bookmark: null,
      result: {
        num_queries: results.length,
        final_bookmark: `${Date.now().toString(16)}-emulator`,
        meta: {
          duration: performance.now() - began,
          rows_read: sum("rows_read"),
          rows_written: sum("rows_written"),
          size_after: Number(results.at(-1)?.meta.size_after ?? 0),
          changed_db: results.some((r) => r.meta.changed_db === true),
          changes: sum("changes"),
        },
      },
    }),
  );
};

/**
 * PUT …/import/:filename: the file upload of an import (no bearer token, as
 * with R2's presigned URL: the announced random file name is the credential).
 * Answers the MD5 as ETag, which wrangler compares with its own.
 */
export const uploadD1Import: Handler = (ctx, svc) => {
  const accountId = param(ctx, "account");
  const filename = param(ctx, "filename");
  const marker = FILENAME.test(filename) ? importFile(svc, accountId, filename, "etag") : "";
  if (!marker || !existsSync(marker) || !svc.store.state.accounts[accountId])
    throw new CfApiError(403, D1Code.invalidRequest, "This upload URL is not valid");
  rmSync(marker, { force: true });
  writeFileSync(importFile(svc, accountId, filename, "sql"), ctx.body);
  const etag = createHash("md5").update(ctx.body).digest("hex");
  return { status: 200, json: {}, headers: { etag: `"${etag}"` } };
};

/**
 * POST /graphql: `wrangler d1 info` asks the analytics API for 24 h of query
 * counts. The emulator records none, and says so, rather than invent numbers
 * (wrangler then shows zeros).
 */
export const graphql: Handler = () =>
  json({ data: null, errors: [{ message: "The local emulator records no analytics" }] });
