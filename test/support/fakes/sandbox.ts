/**
 * A fake Sandbox provider over the fake world: files, snapshots and the
 * current-snapshot marker, enough for the run's prepare/write/deploy/verify
 * bookkeeping. Commands are recorded, not run (real ones run in the Sandbox
 * host's own tests). Methods the run does not use say so.
 */
import {
  type ExecResult,
  type Sandbox,
  SandboxError,
  type SandboxProvider,
  type SnapshotInfo,
  WORKSPACE_DIR,
  workspaceRelative,
} from "../../../src/ports/sandbox.ts";
import type { FakeWorld } from "./world.ts";

/** A rejected promise, as a real adapter's async method would give: callers may `.catch()` it. */
function unsupported(what: string): Promise<never> {
  return Promise.reject(new SandboxError("unsupported", `the fake Sandbox does not do ${what}`));
}

/** Paths are relative to /workspace, as the port says (test/ports/sandbox.contract.ts). */
function absolute(path: string): string {
  const rel = workspaceRelative(path);
  return rel ? `${WORKSPACE_DIR}/${rel}` : WORKSPACE_DIR;
}

class FakeSandbox implements Sandbox {
  constructor(
    readonly name: string,
    private readonly world: FakeWorld,
  ) {}

  private get db() {
    return this.world.db;
  }

  private async files(): Promise<Record<string, string>> {
    await this.world.init();
    const { results } = await this.db
      .prepare(`SELECT path, content FROM fake_files WHERE sandbox = ?1`)
      .bind(this.name)
      .all<{ path: string; content: string }>();
    return Object.fromEntries(results.map((r) => [r.path, r.content]));
  }

  private async dirty(): Promise<void> {
    await this.db.prepare(`DELETE FROM fake_marker WHERE sandbox = ?1`).bind(this.name).run();
  }

  async exec(command: string | readonly string[]): Promise<ExecResult> {
    const argv = typeof command === "string" ? [command] : command;
    if (argv[0] === "cp") await this.writeFile("/workspace/README", "copied from source");
    return { exitCode: 0, stdout: "", stderr: "", durationMs: 1 };
  }

  async writeFile(path: string, content: string): Promise<void> {
    await this.world.init();
    await this.db
      .prepare(
        `INSERT INTO fake_files (sandbox, path, content) VALUES (?1, ?2, ?3) ON CONFLICT DO UPDATE SET content = excluded.content`,
      )
      .bind(this.name, absolute(path), content)
      .run();
    await this.dirty();
  }

  async readFile(path: string): Promise<string> {
    const content = (await this.files())[absolute(path)];
    if (content === undefined) throw new SandboxError("not_found", `${path} does not exist`);
    return content;
  }

  async listFiles() {
    return Object.entries(await this.files()).map(([path, c]) => ({
      path,
      type: "file" as const,
      size: c.length,
      modifiedAt: new Date(0).toISOString(),
    }));
  }

  async deleteFile(path: string): Promise<void> {
    await this.world.init();
    await this.db
      .prepare(`DELETE FROM fake_files WHERE sandbox = ?1 AND path = ?2`)
      .bind(this.name, absolute(path))
      .run();
    await this.dirty();
  }

  async snapshot(options?: { idempotencyKey?: string; name?: string }): Promise<SnapshotInfo> {
    const id = options?.idempotencyKey
      ? `snap-${options.idempotencyKey.replace(/[^a-z0-9#:-]/gi, "_")}`
      : `snap-${crypto.randomUUID()}`;
    const files = await this.files();
    await this.db
      .prepare(
        `INSERT INTO fake_snapshots (id, sandbox, files_json) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING`,
      )
      .bind(id, this.name, JSON.stringify(files))
      .run();
    await this.db
      .prepare(
        `INSERT INTO fake_marker (sandbox, snapshot_id) VALUES (?1, ?2) ON CONFLICT DO UPDATE SET snapshot_id = excluded.snapshot_id`,
      )
      .bind(this.name, id)
      .run();
    return {
      id,
      sandbox: this.name,
      name: options?.name ?? null,
      createdAt: new Date().toISOString(),
      pinned: false,
      sizeBytes: null,
    };
  }

  async restore(snapshotId: string): Promise<void> {
    await this.world.init();
    const row = await this.db
      .prepare(`SELECT files_json FROM fake_snapshots WHERE id = ?1`)
      .bind(snapshotId)
      .first<{ files_json: string }>();
    if (!row) throw new SandboxError("not_found", `no snapshot ${snapshotId}`);
    const files = JSON.parse(row.files_json) as Record<string, string>;
    await this.db.batch([
      this.db.prepare(`DELETE FROM fake_files WHERE sandbox = ?1`).bind(this.name),
      ...Object.entries(files).map(([p, c]) =>
        this.db
          .prepare(`INSERT INTO fake_files (sandbox, path, content) VALUES (?1, ?2, ?3)`)
          .bind(this.name, p, c),
      ),
      this.db
        .prepare(
          `INSERT INTO fake_marker (sandbox, snapshot_id) VALUES (?1, ?2) ON CONFLICT DO UPDATE SET snapshot_id = excluded.snapshot_id`,
        )
        .bind(this.name, snapshotId),
    ]);
  }

  async status() {
    await this.world.init();
    const row = await this.db
      .prepare(`SELECT snapshot_id FROM fake_marker WHERE sandbox = ?1`)
      .bind(this.name)
      .first<{ snapshot_id: string }>();
    return {
      name: this.name,
      state: "awake" as const,
      snapshotId: row?.snapshot_id ?? null,
      processes: 0,
      diskUsageBytes: null,
    };
  }

  async destroy(): Promise<void> {
    await this.world.init();
    await this.db.prepare(`DELETE FROM fake_files WHERE sandbox = ?1`).bind(this.name).run();
    await this.dirty();
  }

  startProcess(): Promise<never> {
    return unsupported("processes");
  }
  getProcess(): Promise<never> {
    return unsupported("processes");
  }
  listProcesses(): Promise<never> {
    return unsupported("processes");
  }
  getProcessLogs(): Promise<never> {
    return unsupported("processes");
  }
  waitForPort(): Promise<never> {
    return unsupported("ports");
  }
  waitForLog(): Promise<never> {
    return unsupported("processes");
  }
  killProcess(): Promise<never> {
    return unsupported("processes");
  }
  exposePort(): Promise<never> {
    return unsupported("ports");
  }
  listSnapshots(): Promise<never> {
    return unsupported("snapshot listing");
  }
}

export function fakeSandboxes(world: FakeWorld): SandboxProvider {
  return {
    get: (name) => new FakeSandbox(name, world),
    listSnapshots: async () => [],
    pinSnapshot: async () => {},
  };
}
