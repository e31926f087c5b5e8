/**
 * The Cloudflare adapter's translation, against a fake `@cloudflare/sandbox`
 * stub and a fake R2 bucket (containers cannot run on these machines). This is
 * the only verification the adapter has: it checks what we send to the SDK and
 * how we read its answers, not the SDK itself.
 */
import { asIdempotencyKey } from "../../../src/ports/vocabulary.ts";
import { describe, expect, it } from "vitest";
import { createCloudflareSandboxProvider, MARKER_PATH } from "../../../src/adapters/sandbox/cloudflare.ts";
import type { IndexBucket } from "../../../src/adapters/sandbox/cloudflare-snapshot-index.ts";
import type {
  CloudflareProcess,
  CloudflareSandboxStub,
} from "../../../src/adapters/sandbox/cloudflare-stub.ts";
import { isSandboxError } from "../../../src/ports/sandbox.ts";

type Call = [method: string, ...args: unknown[]];

class FakeBucket implements IndexBucket {
  readonly objects = new Map<string, string>();
  async put(key: string, value: string) {
    this.objects.set(key, value);
  }
  async get(key: string) {
    const value = this.objects.get(key);
    return value === undefined ? null : { text: async () => value };
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
  async list(options: { prefix: string }) {
    const objects = [...this.objects.keys()]
      .filter((k) => k.startsWith(options.prefix))
      .map((key) => ({ key }));
    return { objects, truncated: false };
  }
}

class SdkError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A fake stub: files in a Map, scripted exec answers, every call recorded. */
class FakeStub implements CloudflareSandboxStub {
  readonly calls: Call[] = [];
  readonly files = new Map<string, string>();
  backups = 0;
  execOutput: { stdout: string; stderr?: string; exitCode?: number; chunks?: string[] } = { stdout: "" };
  readonly procs = new Map<string, CloudflareProcess>();

  async exec(command: string, options?: Parameters<CloudflareSandboxStub["exec"]>[1]) {
    this.calls.push([
      "exec",
      command,
      options && { ...options, onOutput: !!options.onOutput, signal: !!options.signal },
    ]);
    if (command.startsWith("rm -f ")) this.files.delete(command.slice(6));
    for (const chunk of this.execOutput.chunks ?? []) {
      options?.onOutput?.("stdout", chunk);
      if (options?.signal?.aborted) throw new SdkError("OPERATION_INTERRUPTED", "aborted");
    }
    return {
      exitCode: this.execOutput.exitCode ?? 0,
      stdout: this.execOutput.stdout,
      stderr: this.execOutput.stderr ?? "",
      duration: 5,
    };
  }
  async writeFile(path: string, content: string, options?: { encoding?: string }) {
    this.calls.push(["writeFile", path, content, options]);
    this.files.set(path, content);
  }
  async readFile(path: string, options?: { encoding?: "utf-8" | "base64" }) {
    this.calls.push(["readFile", path, options]);
    const content = this.files.get(path);
    if (content === undefined) throw new SdkError("FILE_NOT_FOUND", `no ${path}`);
    return { content, encoding: "utf-8" };
  }
  async listFiles(path: string, options?: { recursive?: boolean }) {
    this.calls.push(["listFiles", path, options]);
    return {
      files: [
        {
          absolutePath: `${path}/b`,
          type: "file" as const,
          size: 2,
          modifiedAt: "2026-01-01T00:00:00.000Z",
          name: "b",
        },
        {
          absolutePath: `${path}/a`,
          type: "directory" as const,
          size: 0,
          modifiedAt: "2026-01-01T00:00:00.000Z",
        },
      ],
    };
  }
  async deleteFile(path: string) {
    this.calls.push(["deleteFile", path]);
  }
  async startProcess(command: string, options?: { processId?: string }) {
    this.calls.push(["startProcess", command, options]);
    const proc: CloudflareProcess = {
      id: options?.processId ?? "generated",
      command,
      status: "running",
      startTime: new Date("2026-01-01T00:00:00Z"),
      waitForPort: async (port, o) => {
        this.calls.push(["waitForPort", port, o]);
        if (port === 1) throw new SdkError("PROCESS_READY_TIMEOUT", "not ready");
      },
      waitForLog: async (pattern, timeout) => {
        this.calls.push(["waitForLog", String(pattern), timeout]);
        return { line: "Ready on http://localhost:8787" };
      },
    };
    this.procs.set(proc.id, proc);
    return proc;
  }
  async getProcess(id: string) {
    return this.procs.get(id) ?? null;
  }
  async listProcesses() {
    return [...this.procs.values()];
  }
  async killProcess(id: string) {
    this.calls.push(["killProcess", id]);
  }
  async getProcessLogs() {
    return { stdout: "out", stderr: "" };
  }
  async exposePort(port: number, options: { hostname: string }) {
    this.calls.push(["exposePort", port, options]);
    return { url: `https://${port}-box-token.${options.hostname}`, port };
  }
  async createBackup(options: { dir: string; name?: string; ttl?: number }) {
    this.calls.push(["createBackup", options]);
    return { id: `backup-${++this.backups}`, dir: options.dir };
  }
  async restoreBackup(backup: { id: string; dir: string }) {
    this.calls.push(["restoreBackup", backup]);
    if (backup.id === "expired") throw new SdkError("BACKUP_EXPIRED", "gone");
  }
  async destroy() {
    this.calls.push(["destroy"]);
  }
}

function setup(keepSnapshots = 10) {
  const stub = new FakeStub();
  const bucket = new FakeBucket();
  let tick = 0;
  const provider = createCloudflareSandboxProvider({
    resolve: () => stub,
    hostname: "nightshift.example.com",
    index: bucket,
    keepSnapshots,
    now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)),
  });
  return { stub, bucket, provider, box: provider.get("run-1") };
}

async function codeOf(promise: Promise<unknown>): Promise<string | null> {
  return promise.then(
    () => null,
    (e: unknown) => (isSandboxError(e) ? e.code : String(e)),
  );
}

describe("Cloudflare Sandbox adapter (fake stub)", () => {
  it("quotes an argv into one shell line and maps options and the result", async () => {
    const { stub, box } = setup();
    stub.execOutput = { stdout: "hi\n", exitCode: 2 };
    const result = await box.exec(["echo", "a b", "it's"], { cwd: "sub", env: { A: "1" }, timeoutMs: 500 });
    expect(result).toEqual({ exitCode: 2, stdout: "hi\n", stderr: "", durationMs: 5 });
    expect(stub.calls[0]).toEqual(["exec", `rm -f ${MARKER_PATH}`, undefined]);
    expect(stub.calls[1]).toEqual([
      "exec",
      `echo 'a b' 'it'\\''s'`,
      { timeout: 500, cwd: "/workspace/sub", env: { A: "1" }, stream: true, onOutput: true, signal: true },
    ]);
  });

  it("clears the marker once, before the first mutating call", async () => {
    const { stub, box } = setup();
    await box.exec("true");
    await box.writeFile("x", "1");
    expect(stub.calls.filter(([m, c]) => m === "exec" && String(c).startsWith("rm -f")).length).toBe(1);
  });

  it("aborts a command past its output cap with output_limit", async () => {
    const { stub, box } = setup();
    stub.execOutput = { stdout: "", chunks: ["x".repeat(600), "y".repeat(600)] };
    expect(await codeOf(box.exec("yes", { maxOutputBytes: 1000 }))).toBe("output_limit");
  });

  it("rejects paths outside /workspace before calling the SDK", async () => {
    const { stub, box } = setup();
    expect(await codeOf(box.readFile("/etc/passwd"))).toBe("invalid");
    expect(await codeOf(box.writeFile("../escape", "x"))).toBe("invalid");
    expect(stub.calls.filter(([m]) => m === "readFile" || m === "writeFile")).toEqual([]);
  });

  it("translates files: encodings, listings sorted, recursive delete via rm -rf", async () => {
    const { stub, box } = setup();
    await box.writeFile("/workspace/b.bin", "AAH/", { encoding: "base64" });
    expect(stub.calls.at(-1)).toEqual(["writeFile", "/workspace/b.bin", "AAH/", { encoding: "base64" }]);
    stub.files.set("/workspace/t.txt", "héllo");
    expect(await box.readFile("t.txt", { encoding: "base64" })).toBe(
      btoa(String.fromCharCode(...new TextEncoder().encode("héllo"))),
    );
    expect((await box.listFiles("/workspace")).map((f) => f.path)).toEqual(["/workspace/a", "/workspace/b"]);
    await box.deleteFile("dir", { recursive: true });
    expect(stub.calls.at(-1)?.[1]).toBe("rm -rf -- /workspace/dir");
    expect(await codeOf(box.readFile("missing"))).toBe("not_found");
  });

  it("starts processes and waits for readiness with typed errors", async () => {
    const { stub, box } = setup();
    const info = await box.startProcess(["npx", "wrangler", "dev"], { processId: "dev" });
    expect(info).toEqual({
      id: "dev",
      command: "npx wrangler dev",
      status: "running",
      exitCode: null,
      startedAt: "2026-01-01T00:00:00.000Z",
    });
    await box.waitForPort("dev", 8787, { path: "/", timeoutMs: 1000 });
    expect(stub.calls.at(-1)).toEqual(["waitForPort", 8787, { path: "/", timeout: 1000 }]);
    expect(await box.waitForLog("dev", /Ready on/, { timeoutMs: 1000 })).toEqual({
      line: "Ready on http://localhost:8787",
    });
    expect(await codeOf(box.waitForPort("dev", 1))).toBe("timeout");
    expect(await codeOf(box.waitForPort("nope", 8787))).toBe("not_found");
    const { url } = await box.exposePort(8787);
    expect(url).toBe("https://8787-box-token.nightshift.example.com");
  });

  it("snapshots to R2 backups, lists them from the index, restores and keeps the marker", async () => {
    const { stub, box, provider } = setup();
    const s1 = await box.snapshot({ name: "setup" });
    expect(stub.calls.find(([m]) => m === "createBackup")).toEqual([
      "createBackup",
      { dir: "/workspace", name: "setup", ttl: 604800 },
    ]);
    expect(s1).toMatchObject({ id: "backup-1", sandbox: "run-1", name: "setup", pinned: false });
    expect((await box.status()).snapshotId).toBe("backup-1");
    await box.exec("touch x");
    expect((await box.status()).snapshotId).toBeNull();
    const s2 = await box.snapshot({ pin: true });
    expect(stub.calls.filter(([m]) => m === "createBackup").at(-1)).toEqual([
      "createBackup",
      { dir: "/workspace", ttl: 7776000 },
    ]);
    expect((await box.listSnapshots()).map((s) => s.id)).toEqual([s2.id, s1.id]);
    await box.restore(s1.id);
    expect(stub.calls.filter(([m]) => m === "restoreBackup")).toEqual([
      ["restoreBackup", { id: "backup-1", dir: "/workspace" }],
    ]);
    expect((await box.status()).snapshotId).toBe("backup-1");
    expect(await codeOf(box.restore("unknown"))).toBe("not_found");
    await provider.pinSnapshot(s1.id, true);
    expect((await provider.listSnapshots({ sandbox: "run-1" })).every((s) => s.pinned)).toBe(true);
  });

  it("maps an expired backup to not_found", async () => {
    const { bucket, box } = setup();
    await bucket.put(
      "nightshift/sandbox/snapshots/expired.json",
      JSON.stringify({
        id: "expired",
        sandbox: "run-1",
        name: null,
        createdAt: "2026-01-01T00:00:00.000Z",
        pinned: false,
        sizeBytes: null,
      }),
    );
    expect(await codeOf(box.restore("expired"))).toBe("not_found");
  });

  it("keeps the newest N snapshots per Sandbox plus pinned ones in the index", async () => {
    const { box } = setup(2);
    const pinned = await box.snapshot({ pin: true });
    await box.snapshot();
    const s3 = await box.snapshot();
    const s4 = await box.snapshot();
    expect((await box.listSnapshots()).map((s) => s.id)).toEqual([s4.id, s3.id, pinned.id]);
  });

  it("replays the first answer for a repeated idempotency key", async () => {
    const { stub, box } = setup();
    const a = await box.snapshot({ idempotencyKey: asIdempotencyKey("run-1:write#1:snapshot") });
    const b = await box.snapshot({ idempotencyKey: asIdempotencyKey("run-1:write#1:snapshot") });
    expect(b).toEqual(a);
    expect(stub.calls.filter(([m]) => m === "createBackup").length).toBe(1);
  });

  it("destroys through the SDK", async () => {
    const { stub, box } = setup();
    await box.destroy();
    expect(stub.calls.at(-1)).toEqual(["destroy"]);
  });
});
