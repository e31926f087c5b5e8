/**
 * The host's HTTP API: a Hono app over the SandboxManager. Bodies are parsed
 * with the port's zod schemas; every failure renders as
 * `{ error: { code, message } }` with the status from SANDBOX_ERROR_STATUS.
 * Mutating routes honour `idempotencyKey`. docs/sandbox.md lists the routes.
 */
import { type Context, Hono } from "hono";
import type { z } from "zod";
import {
  type ErrorBody,
  SANDBOX_ERROR_STATUS,
  SandboxError,
  SandboxNameSchema,
  type SnapshotInfo,
} from "../../ports/sandbox.ts";
import {
  DeleteFileRequestSchema,
  ExecRequestSchema,
  type ExecStreamEvent,
  ExposePortRequestSchema,
  ListFilesRequestSchema,
  PinRequestSchema,
  ReadFileRequestSchema,
  EnsureAtRequestSchema,
  RestoreRequestSchema,
  SnapshotRequestSchema,
  StartProcessRequestSchema,
  WaitForLogRequestSchema,
  WaitForPortRequestSchema,
  WriteFileRequestSchema,
} from "../../ports/sandbox-wire.ts";
import { bearerCheck, UNAUTHORIZED_BODY } from "../bearer-secret.ts";
import type { IdempotencyStore } from "./idempotency.ts";
import type { LimitsHealth } from "./limits.ts";
import type { SnapshotRecord } from "./layer-policy.ts";
import type { SandboxManager } from "./manager.ts";

export interface HealthInfo {
  ok: true;
  isolation: "bwrap" | "unsafe-no-isolation";
  snapshots: "overlay" | "copy";
  snapshotsFallbackReason: string | null;
  network: string;
  stateDir: string;
  /** Which resource limits are enforced (limits.ts). */
  limits: LimitsHealth;
}

function toInfo(r: SnapshotRecord): SnapshotInfo {
  return {
    id: r.id,
    sandbox: r.sandbox,
    name: r.name,
    createdAt: r.createdAt,
    pinned: r.pinned,
    sizeBytes: r.sizeBytes,
  };
}

async function body<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new SandboxError("invalid", "body must be JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SandboxError("invalid", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

function sandboxName(c: Context): string {
  const parsed = SandboxNameSchema.safeParse(c.req.param("name"));
  if (!parsed.success) throw new SandboxError("invalid", `bad Sandbox name: ${c.req.param("name")}`);
  return parsed.data;
}

function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  const e = error instanceof SandboxError ? error : new SandboxError("internal", String(error));
  return { status: SANDBOX_ERROR_STATUS[e.code], body: e.toJSON() };
}

export function sandboxRoutes(deps: {
  manager: SandboxManager;
  idempotency: IdempotencyStore;
  health: HealthInfo;
  /** The bearer secret every route but `/health` demands (issue 15: only the orchestrator and tests hold it). */
  secret: string;
}): Hono {
  const { manager, idempotency } = deps;
  const app = new Hono();
  const allowed = bearerCheck(deps.secret);
  const sb = async (c: Context) => manager.get(sandboxName(c));
  const existing = (c: Context) => {
    const found = manager.peek(sandboxName(c));
    if (!found) throw new SandboxError("not_found", `no Sandbox ${c.req.param("name")}`);
    return found;
  };

  app.onError((error, c) => {
    const { status, body: errorBody } = toErrorBody(error);
    return c.json(errorBody, status as 400);
  });
  app.notFound((c) => c.json({ error: { code: "not_found", message: `no route ${c.req.path}` } }, 404));

  // Open, so a supervisor can see the host is up; it tells nothing a caller could use (no
  // state dir, no Sandbox names). Everything else needs the secret.
  const { stateDir: _hidden, ...publicHealth } = deps.health;
  app.get("/health", (c) => c.json(publicHealth));
  app.use("*", async (c, next) => {
    if (!allowed(c.req.header("authorization"))) return c.json(UNAUTHORIZED_BODY, 401);
    await next();
  });

  app.get("/sandboxes/:name", (c) => {
    const name = sandboxName(c);
    const found = manager.peek(name);
    return c.json(
      found?.status() ?? { name, state: "absent", snapshotId: null, processes: 0, diskUsageBytes: null },
    );
  });
  app.delete("/sandboxes/:name", async (c) => {
    await manager.destroy(sandboxName(c));
    return c.json({ ok: true });
  });

  app.post("/sandboxes/:name/exec", async (c) => {
    const req = await body(c, ExecRequestSchema);
    const sandbox = await sb(c);
    if (c.req.query("stream") === undefined) {
      return c.json(
        await idempotency.once(sandbox.name, "exec", req.idempotencyKey, () => sandbox.exec(req)),
      );
    }
    // NDJSON: output chunks as they come, then one exit or error line.
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (event: ExecStreamEvent) =>
          controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
        sandbox
          .exec(req, (type, data) => send({ type, data }))
          .then(
            (result) => send({ type: "exit", result }),
            (error: unknown) => send({ type: "error", error: toErrorBody(error).body.error }),
          )
          .finally(() => controller.close());
      },
    });
    return new Response(stream, { headers: { "content-type": "application/x-ndjson" } });
  });

  app.post("/sandboxes/:name/files/write", async (c) => {
    const req = await body(c, WriteFileRequestSchema);
    const sandbox = await sb(c);
    await idempotency.once(sandbox.name, "write", req.idempotencyKey, () =>
      sandbox.writeFile(req.path, req.content, req.encoding),
    );
    return c.json({ ok: true });
  });
  app.post("/sandboxes/:name/files/read", async (c) => {
    const req = await body(c, ReadFileRequestSchema);
    const content = await (await sb(c)).readFile(req.path, req.encoding);
    return c.json({ content, encoding: req.encoding ?? "utf8" });
  });
  app.post("/sandboxes/:name/files/list", async (c) => {
    const req = await body(c, ListFilesRequestSchema);
    return c.json({ files: await (await sb(c)).listFiles(req.path, req.recursive) });
  });
  app.post("/sandboxes/:name/files/delete", async (c) => {
    const req = await body(c, DeleteFileRequestSchema);
    const sandbox = await sb(c);
    await idempotency.once(sandbox.name, "delete", req.idempotencyKey, () =>
      sandbox.deleteFile(req.path, req.recursive),
    );
    return c.json({ ok: true });
  });

  app.post("/sandboxes/:name/processes", async (c) => {
    const req = await body(c, StartProcessRequestSchema);
    const sandbox = await sb(c);
    return c.json(
      await idempotency.once(sandbox.name, "start", req.idempotencyKey, () => sandbox.startProcess(req)),
    );
  });
  app.get("/sandboxes/:name/processes", (c) => c.json({ processes: existing(c).listProcesses() }));
  app.get("/sandboxes/:name/processes/:id", (c) => c.json(existing(c).getProcess(c.req.param("id"))));
  app.get("/sandboxes/:name/processes/:id/logs", (c) =>
    c.json(existing(c).getProcessLogs(c.req.param("id"))),
  );
  app.delete("/sandboxes/:name/processes/:id", async (c) => {
    await existing(c).killProcess(c.req.param("id"));
    return c.json({ ok: true });
  });
  app.post("/sandboxes/:name/processes/:id/wait-port", async (c) => {
    const req = await body(c, WaitForPortRequestSchema);
    await existing(c).waitForPort(c.req.param("id"), req);
    return c.json({ ok: true });
  });
  app.post("/sandboxes/:name/processes/:id/wait-log", async (c) => {
    const req = await body(c, WaitForLogRequestSchema);
    let test: (line: string) => boolean;
    if (req.regexFlags === undefined) {
      test = (line) => line.includes(req.pattern);
    } else {
      let regex: RegExp;
      try {
        regex = new RegExp(req.pattern, req.regexFlags.replace(/[gy]/g, ""));
      } catch (error) {
        throw new SandboxError("invalid", `bad pattern: ${String(error)}`);
      }
      test = (line) => regex.test(line);
    }
    const sandbox = existing(c);
    const line = await sandbox.waitForLog(c.req.param("id"), test, req.timeoutMs ?? 60_000);
    return c.json({ line });
  });
  app.post("/sandboxes/:name/ports", async (c) => {
    const req = await body(c, ExposePortRequestSchema);
    return c.json(await (await sb(c)).exposePort(req.port));
  });

  app.post("/sandboxes/:name/snapshots", async (c) => {
    const req = await body(c, SnapshotRequestSchema);
    const sandbox = await sb(c);
    const record = await idempotency.once(sandbox.name, "snapshot", req.idempotencyKey, async () =>
      toInfo(await sandbox.snapshot({ name: req.name ?? null, pinned: req.pin ?? false })),
    );
    return c.json(record);
  });
  app.get("/sandboxes/:name/snapshots", (c) =>
    c.json({ snapshots: manager.listSnapshots(sandboxName(c)).map(toInfo) }),
  );
  app.post("/sandboxes/:name/restore", async (c) => {
    const req = await body(c, RestoreRequestSchema);
    const sandbox = await sb(c);
    // Not replayed from the key: restoring again is itself idempotent, and a retried step must
    // really get the snapshot's files back even if the first restore's answer was recorded.
    await sandbox.restore(req.snapshotId);
    return c.json({ ok: true });
  });
  // The step-consistency check in one call (see ensureAtSnapshot in the Sandbox adapters):
  // restore unless the marker already names the snapshot. Not replayed from a key, as restore.
  // Without waiting, the check takes its place in the Sandbox's lock before the answer goes
  // out, so every later call sees its result; a failure is left for the next check to report.
  app.post("/sandboxes/:name/ensure-at", async (c) => {
    const req = await body(c, EnsureAtRequestSchema);
    const sandbox = await sb(c);
    const ensured = sandbox.ensureAt(req.snapshotId);
    if (req.wait) return c.json({ restored: await ensured });
    ensured.catch(() => undefined);
    return c.json({ queued: true }, 202);
  });
  app.get("/snapshots", (c) =>
    c.json({ snapshots: manager.listSnapshots(c.req.query("sandbox")).map(toInfo) }),
  );
  app.post("/snapshots/:id/pin", async (c) => {
    const req = await body(c, PinRequestSchema);
    await manager.pin(c.req.param("id"), req.pinned);
    return c.json({ ok: true });
  });

  return app;
}
