/**
 * The Sandbox port's contract, written once and run against every
 * implementation: the local adapter → the local host, the Cloudflare adapter →
 * a stand-in for the `@cloudflare/sandbox` container, and the test fake. What a
 * Sandbox promises the run Workflow: files that read back as written, snapshots
 * that restore exactly (even after destroy), the marker naming the snapshot
 * until anything changes, first answers for repeated idempotency keys; and,
 * where commands really run, argv/shell/cwd/env and typed limits, isolation
 * from the host, process readiness and reachable ports, and step consistency
 * across a crash. A bookkeeping implementation (the fake) says so and must then
 * refuse what it does not do with `unsupported`, not pretend.
 */
import { asIdempotencyKey } from "../../src/ports/vocabulary.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSnapshottedStep } from "../../src/ports/step-consistency.ts";
import { isSandboxError, type Sandbox, type SandboxProvider } from "../../src/ports/sandbox.ts";

/** What a Sandbox that really runs commands adds to the target. */
export interface ExecutingTarget {
  /** A variable set in the host's environment; it must not be visible inside. */
  hostEnv: { name: string; value: string };
  /** Host files that exist and must be unreadable from inside a Sandbox. */
  hostFilesOutside: string[];
  /** Kills the host (or container) abruptly and brings it back with the same state. */
  crash(): Promise<void>;
  /** A free port the Sandbox may listen on. */
  freePort(): Promise<number>;
}

export interface SandboxContractTarget {
  provider: SandboxProvider;
  /** Set when commands really run; unset for a bookkeeping fake (files and snapshots only). */
  executes?: ExecutingTarget;
  dispose(): Promise<void>;
}

/**
 * Known departures from the port, declared by the runner so they stay visible:
 * the test of each one is expected to fail, and starts passing (and so fails
 * the suite) the day the implementation is fixed.
 */
export type SandboxGap = "status-absent-after-destroy";

export interface SandboxContractOptions {
  executes: boolean;
  gaps?: readonly SandboxGap[];
}

/** A manifest of /workspace computed inside the Sandbox: path, type, mode, sha256 (no times). */
export async function manifest(sandbox: Sandbox): Promise<string> {
  const script = `
    const fs = require("fs"), path = require("path"), crypto = require("crypto");
    const out = [];
    const walk = (dir) => { for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name); const st = fs.lstatSync(full);
      const rel = path.relative("/workspace", full); const mode = (st.mode & 0o777).toString(8);
      if (st.isDirectory()) { out.push("d " + rel + " " + mode); walk(full); }
      else if (st.isSymbolicLink()) out.push("l " + rel + " -> " + fs.readlinkSync(full));
      else out.push("f " + rel + " " + mode + " " + crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex"));
    } };
    walk("/workspace"); process.stdout.write(out.join("\\n"));`;
  const result = await sandbox.exec(["node", "-e", script]);
  expect(result.stderr).toBe("");
  return result.stdout;
}

export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isSandboxError(error) ? error.code : error).toBe(code);
}

/** Writes a deterministic tree; announces "halfway" in the middle and pauses there for PAUSE_MS (the crash test). */
const WRITE_STEP = `
  const fs = require("fs");
  fs.mkdirSync("gen", { recursive: true });
  for (let i = 0; i < 400; i++) {
    fs.writeFileSync("gen/f" + i + ".txt", ("line " + i + "\\n").repeat(50));
    if (i === 200) { console.log("halfway"); const t = Date.now(); while (Date.now() - t < Number(process.env.PAUSE_MS || 0)) {} }
  }
  fs.writeFileSync("src/app.js", "export default 2;\\n");
  fs.rmSync("old", { recursive: true });
  console.log("done");`;

export function sandboxContract(
  label: string,
  options: SandboxContractOptions,
  makeTarget: () => Promise<SandboxContractTarget>,
): void {
  describe(`Sandbox contract: ${label}`, () => {
    let target: SandboxContractTarget;
    let t: ExecutingTarget;
    let n = 0;
    const fresh = () => target.provider.get(`c${Date.now().toString(36)}-${n++}`);
    // A test the target cannot be asked is not registered at all (rather than reported skipped).
    const only =
      (applies: boolean) =>
      (name: string, fn: () => Promise<void>, timeout?: number): void => {
        if (applies) it(name, fn, timeout);
      };
    const runs = only(options.executes);
    const gap = (name: SandboxGap) => (options.gaps?.includes(name) ? it.fails : it);

    beforeAll(async () => {
      target = await makeTarget();
      expect(!!target.executes, "the target's `executes` matches the runner's declaration").toBe(
        options.executes,
      );
      if (target.executes) t = target.executes;
    });
    afterAll(async () => {
      await target?.dispose();
    });

    // ------------------------------------------------ what every Sandbox does

    it("reads files back as written, relative paths under /workspace, missing ones not_found", async () => {
      const box = fresh();
      await box.writeFile("/workspace/a/b.txt", "héllo");
      await box.writeFile("bin.dat", "AAH/", { encoding: "base64" });
      expect(await box.readFile("a/b.txt")).toBe("héllo");
      expect(await box.readFile("/workspace/bin.dat", { encoding: "base64" })).toBe("AAH/");
      await box.writeFile("a/b.txt", "second");
      expect(await box.readFile("/workspace/a/b.txt")).toBe("second");
      await box.deleteFile("/workspace/a/b.txt");
      await expectCode(box.readFile("a/b.txt"), "not_found");
      await expectCode(box.readFile("never-written"), "not_found");
    });

    it("restores a snapshot's files; the marker names it until anything changes", async () => {
      const box = fresh();
      await box.writeFile("keep.txt", "v1");
      await box.writeFile("gone.txt", "x");
      const snap = await box.snapshot({ name: "setup" });
      expect((await box.status()).snapshotId).toBe(snap.id);
      await box.writeFile("keep.txt", "v2");
      expect((await box.status()).snapshotId).toBeNull();
      await box.deleteFile("gone.txt");
      await box.writeFile("added.txt", "new");
      await box.restore(snap.id);
      expect((await box.status()).snapshotId).toBe(snap.id);
      expect(await box.readFile("keep.txt")).toBe("v1");
      expect(await box.readFile("gone.txt")).toBe("x");
      await expectCode(box.readFile("added.txt"), "not_found");
      await box.deleteFile("gone.txt");
      expect((await box.status()).snapshotId).toBeNull();
    });

    it("describes a snapshot by its Sandbox, name and pin; an unknown id restores not_found", async () => {
      const box = fresh();
      await box.writeFile("f.txt", "1");
      const named = await box.snapshot({ name: "setup" });
      expect(named).toMatchObject({ sandbox: box.name, name: "setup", pinned: false });
      expect(Number.isNaN(Date.parse(named.createdAt))).toBe(false);
      const plain = await box.snapshot();
      expect(plain).toMatchObject({ sandbox: box.name, name: null });
      expect(plain.id).not.toBe(named.id);
      await expectCode(box.restore("no-such-snapshot"), "not_found");
    });

    it("restores a snapshot after the Sandbox was destroyed", async () => {
      const box = fresh();
      await box.writeFile("state.txt", "v1");
      const snap = await box.snapshot();
      await box.destroy();
      await expectCode(box.readFile("state.txt"), "not_found");
      await box.restore(snap.id);
      expect(await box.readFile("state.txt")).toBe("v1");
    });

    gap("status-absent-after-destroy")("reports a destroyed Sandbox as absent", async () => {
      const box = fresh();
      await box.writeFile("x.txt", "1");
      await box.destroy();
      expect((await box.status()).state).toBe("absent");
    });

    it("returns the first snapshot for a repeated idempotency key", async () => {
      const box = fresh();
      await box.writeFile("n.txt", "1");
      const a = await box.snapshot({ idempotencyKey: asIdempotencyKey("run-1:write#1:snapshot") });
      await box.writeFile("n.txt", "2");
      const b = await box.snapshot({ idempotencyKey: asIdempotencyKey("run-1:write#1:snapshot") });
      expect(b.id).toBe(a.id);
      await box.restore(b.id);
      expect(await box.readFile("n.txt")).toBe("1");
    });

    only(!options.executes)("refuses processes, ports and listings with unsupported", async () => {
      const box = fresh();
      await expectCode(box.startProcess("sleep 1"), "unsupported");
      await expectCode(box.getProcess("p"), "unsupported");
      await expectCode(box.waitForLog("p", "x"), "unsupported");
      await expectCode(box.waitForPort("p", 8080), "unsupported");
      await expectCode(box.exposePort(8080), "unsupported");
      await expectCode(box.listSnapshots(), "unsupported");
    });

    // ------------------------------------------------ where commands really run

    runs("runs a shell string and an argv, with exit codes as values", async () => {
      const box = fresh();
      const shell = await box.exec("echo out; echo err >&2; exit 3");
      expect(shell).toMatchObject({ exitCode: 3, stdout: "out\n", stderr: "err\n" });
      const argv = await box.exec(["node", "-e", "console.log(process.argv[1])", "a b; $(rm -rf /)"]);
      expect(argv).toMatchObject({ exitCode: 0, stdout: "a b; $(rm -rf /)\n" });
    });

    runs("honours cwd and env, and streams output", async () => {
      const box = fresh();
      await box.exec("mkdir -p sub/dir");
      expect((await box.exec("pwd", { cwd: "/workspace/sub/dir" })).stdout).toBe("/workspace/sub/dir\n");
      expect((await box.exec("echo $GREETING", { env: { GREETING: "hi" } })).stdout).toBe("hi\n");
      const chunks: string[] = [];
      const result = await box.exec("echo one; echo two >&2", {
        onOutput: (s, d) => chunks.push(`${s}:${d}`),
      });
      expect(result.exitCode).toBe(0);
      expect(chunks.join("")).toContain("stdout:one");
      expect(chunks.join("")).toContain("stderr:two");
    });

    runs("does not leak host environment variables into the Sandbox", async () => {
      const result = await fresh().exec("env");
      expect(result.stdout).not.toContain(t.hostEnv.name);
      expect(result.stdout).not.toContain(t.hostEnv.value);
    });

    runs("cannot read host files outside the Sandbox, by command or through the file API", async () => {
      const box = fresh();
      for (const file of t.hostFilesOutside) {
        const result = await box.exec(["cat", file]);
        expect(result.exitCode, file).not.toBe(0);
        await expectCode(box.readFile(file), "invalid");
      }
      await box.exec("ln -s / root-link && ln -s /etc/passwd passwd-link");
      await expectCode(box.readFile("root-link/etc/hostname"), "invalid");
      await expectCode(box.readFile("passwd-link"), "invalid");
      await expectCode(box.writeFile("root-link/tmp/escape", "x"), "invalid");
      await expectCode(box.readFile("../../etc/passwd"), "invalid");
    });

    runs("writes, reads, lists and deletes files", async () => {
      const box = fresh();
      await box.writeFile("/workspace/a/b.txt", "héllo");
      await box.writeFile("bin.dat", Buffer.from([0, 1, 255]).toString("base64"), { encoding: "base64" });
      expect(await box.readFile("a/b.txt")).toBe("héllo");
      expect(await box.readFile("bin.dat", { encoding: "base64" })).toBe("AAH/");
      const listed = await box.listFiles("/workspace", { recursive: true });
      expect(listed.map((f) => `${f.type} ${f.path}`)).toEqual([
        "directory /workspace/a",
        "file /workspace/a/b.txt",
        "file /workspace/bin.dat",
      ]);
      await box.deleteFile("a", { recursive: true });
      await expectCode(box.readFile("a/b.txt"), "not_found");
    });

    runs("types the limits: output cap and wall time", async () => {
      const box = fresh();
      await expectCode(box.exec("yes", { maxOutputBytes: 10_000 }), "output_limit");
      await expectCode(box.exec("sleep 30", { timeoutMs: 300 }), "timeout");
      expect((await box.exec("echo still-fine")).stdout).toBe("still-fine\n");
    });

    runs("waits for a process by log line and by port, and exposes the port", async () => {
      const box = fresh();
      const port = await t.freePort();
      const server = `require("http").createServer((q, r) => r.end("hello from " + q.url))
        .listen(${port}, "127.0.0.1", () => console.log("ready on ${port}"));`;
      const proc = await box.startProcess(["node", "-e", server], { processId: "web" });
      expect(proc).toMatchObject({ id: "web", status: "running" });
      expect((await box.waitForLog("web", /ready on \d+/, { timeoutMs: 20_000 })).line).toBe(
        `ready on ${port}`,
      );
      await box.waitForPort("web", port, { path: "/health", timeoutMs: 20_000 });
      const { url } = await box.exposePort(port);
      const response = await fetch(new URL("/probe", url));
      expect(await response.text()).toBe("hello from /probe");
      await box.killProcess("web");
      expect((await box.getProcess("web")).status).toBe("killed");
    });

    runs("fails readiness waits with typed errors", async () => {
      const box = fresh();
      await box.startProcess("echo started; sleep 30", { processId: "slow" });
      await expectCode(box.waitForLog("slow", "never printed", { timeoutMs: 300 }), "timeout");
      expect((await box.getProcessLogs("slow")).stdout).toBe("started\n");
      await box.startProcess("exit 1", { processId: "dies" });
      await expectCode(box.waitForLog("dies", "never printed", { timeoutMs: 20_000 }), "killed");
      await expectCode(box.getProcess("nope"), "not_found");
    });

    runs("restores exactly the snapshot's files after changes", async () => {
      const box = fresh();
      await box.exec(`mkdir -p src old/deep && echo 1 > src/app.js && echo keep > old/deep/x
        && ln -s src/app.js link && chmod 600 src/app.js && echo gone > deleted.txt`);
      const before = await manifest(box);
      const snap = await box.snapshot({ name: "setup" });
      expect(snap).toMatchObject({ sandbox: box.name, name: "setup", pinned: false });
      await box.exec(`echo 2 > src/app.js && rm -rf old && mkdir old && echo new > old/y && rm deleted.txt
        && echo added > added.txt && chmod 644 src/app.js && rm link && ln -s elsewhere link`);
      expect(await manifest(box)).not.toBe(before);
      await box.restore(snap.id);
      // The marker names the snapshot until anything may change the workspace (any command does).
      expect((await box.status()).snapshotId).toBe(snap.id);
      expect(await manifest(box)).toBe(before);
      expect((await box.status()).snapshotId).toBeNull();
    });

    runs("lists snapshots newest first, and restores them after the Sandbox was destroyed", async () => {
      const box = fresh();
      await box.writeFile("state.txt", "v1");
      const s1 = await box.snapshot();
      await box.writeFile("state.txt", "v2");
      const s2 = await box.snapshot({ pin: true });
      const ids = (await box.listSnapshots()).map((s) => s.id);
      expect(ids).toEqual([s2.id, s1.id]);
      expect((await target.provider.listSnapshots({ sandbox: box.name })).map((s) => s.id)).toEqual(ids);
      await box.destroy();
      await box.restore(s1.id);
      expect(await box.readFile("state.txt")).toBe("v1");
      await box.restore(s2.id);
      expect(await box.readFile("state.txt")).toBe("v2");
    });

    runs("returns the first command result for a repeated idempotency key", async () => {
      const box = fresh();
      const first = await box.exec("date +%s%N", { idempotencyKey: asIdempotencyKey("run-1:probe") });
      const again = await box.exec("date +%s%N", { idempotencyKey: asIdempotencyKey("run-1:probe") });
      expect(again).toEqual(first);
    });

    runs("a step killed half-way and retried ends with the same files as an uninterrupted step", async () => {
      const setup = async (box: Sandbox) => {
        await box.exec("mkdir -p src old && echo 1 > src/app.js && echo bye > old/file");
        return box.snapshot({ name: "setup" });
      };
      // Reference: the write step, uninterrupted.
      const reference = fresh();
      const base = await setup(reference);
      const ref = await runSnapshottedStep(
        reference,
        { base: base.id, idempotencyKey: asIdempotencyKey("ref:write#1") },
        (b) => b.exec(["node", "-e", WRITE_STEP]),
      );
      expect(ref.value.stdout).toContain("done");
      const expected = await manifest(reference);

      // The same step; the host is killed while the step is writing.
      const box = fresh();
      await box.restore(base.id);
      let crashed: Promise<void> | null = null;
      const attempt = runSnapshottedStep(
        box,
        { base: base.id, idempotencyKey: asIdempotencyKey("crash:write#1") },
        (b) =>
          b.exec(["node", "-e", WRITE_STEP], {
            env: { PAUSE_MS: "5000" }, // time enough for the kill to land half-way
            onOutput: (_stream, data) => {
              if (data.includes("halfway")) crashed ??= t.crash();
            },
          }),
      );
      const failure = await attempt.then(
        () => null,
        (e: unknown) => e,
      );
      await crashed;
      expect(isSandboxError(failure) && ["interrupted", "unavailable"].includes(failure.code)).toBe(true);
      // Half-applied: the marker is gone and part of gen/ is there.
      expect((await box.status()).snapshotId).toBeNull();
      const partial = await box.listFiles("gen");
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.length).toBeLessThan(400);
      // The retried step restores the base first, then writes again.
      const retry = await runSnapshottedStep(
        box,
        { base: base.id, idempotencyKey: asIdempotencyKey("crash:write#1") },
        (b) => b.exec(["node", "-e", WRITE_STEP]),
      );
      expect(retry.value.stdout).toContain("done");
      expect(await manifest(box)).toBe(expected);
      // And the snapshot it returned holds the same files.
      await box.exec("rm -rf gen");
      await box.restore(retry.snapshot.id);
      expect(await manifest(box)).toBe(expected);
    });
  });
}
