/**
 * Pure helpers of the host and adapters: ring buffer, line splitting, paths, shell quoting, the
 * RW lock, work deferred until the answers are out.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { shellQuote, toShellCommand } from "../../../src/adapters/sandbox/shell.ts";
import { AfterAnswer } from "../../../src/local/sandbox-host/after-answer.ts";
import { LineSplitter, RingBuffer } from "../../../src/local/sandbox-host/ring-buffer.ts";
import { RwLock } from "../../../src/local/sandbox-host/rw-lock.ts";
import { isSandboxError, workspaceRelative } from "../../../src/ports/sandbox.ts";

describe("ring buffer and lines", () => {
  it("keeps only the newest output and says it dropped some", () => {
    const ring = new RingBuffer(10);
    ring.push("0123456");
    expect(ring.truncated).toBe(false);
    ring.push("789abc");
    expect(ring.text()).toBe("3456789abc");
    expect(ring.truncated).toBe(true);
  });

  it("splits chunks into lines across chunk borders", () => {
    const lines = new LineSplitter();
    expect(lines.push("a\nb")).toEqual(["a"]);
    expect(lines.push("c\r\nd")).toEqual(["bc"]);
    expect(lines.flush()).toEqual(["d"]);
  });
});

describe("workspace paths", () => {
  it("resolves relative and absolute paths under /workspace and rejects the rest", () => {
    expect(workspaceRelative("a/b")).toBe("a/b");
    expect(workspaceRelative("/workspace/a/../b/")).toBe("b");
    expect(workspaceRelative("/workspace")).toBe("");
    for (const bad of ["/etc/passwd", "../x", "/workspace/../etc", "/workspaces/x"]) {
      expect(() => workspaceRelative(bad)).toThrow();
      try {
        workspaceRelative(bad);
      } catch (e) {
        expect(isSandboxError(e, "invalid")).toBe(true);
      }
    }
  });
});

describe("shell quoting", () => {
  it("round-trips any argv through sh", () => {
    const argv = ["plain", "a b", "it's", "$(rm -rf /)", "", "*", 'q"uote', "new\nline"];
    const line = toShellCommand(["printf", "%s\\0", ...argv]);
    expect(execFileSync("sh", ["-c", line]).toString().split("\0").slice(0, -1)).toEqual(argv);
    expect(shellQuote("safe/path-1.txt")).toBe("safe/path-1.txt");
  });
});

describe("readers–writer lock", () => {
  it("lets readers share, makes a writer wait for them, and queues readers behind a waiting writer", async () => {
    const lock = new RwLock();
    const order: string[] = [];
    let releaseReader!: () => void;
    const reader = lock.shared(() =>
      new Promise<void>((r) => (releaseReader = r)).then(() => order.push("r1")),
    );
    const writer = lock.exclusive(async () => order.push("w"));
    const late = lock.shared(async () => order.push("r2"));
    await Promise.resolve();
    expect(order).toEqual([]);
    releaseReader();
    await Promise.all([reader, writer, late]);
    expect(order).toEqual(["r1", "w", "r2"]);
    expect(lock.idle).toBe(true);
  });
});

describe("work deferred until the answers are out", () => {
  it("runs at once when nothing is being answered, else once an answer is written", () => {
    const after = new AfterAnswer();
    const ran: string[] = [];
    after.defer(() => ran.push("idle"));
    expect(ran).toEqual(["idle"]);
    const first = after.begin();
    const second = after.begin();
    after.defer(() => ran.push("during"));
    expect(ran).toEqual(["idle"]);
    second();
    expect(ran).toEqual(["idle", "during"]);
    // Ending twice (finish, then close) counts once; a long answer does not hold work back.
    second();
    after.defer(() => ran.push("while the first is still out"));
    first();
    first();
    expect(ran).toEqual(["idle", "during", "while the first is still out"]);
    after.defer(() => ran.push("idle again"));
    expect(ran.at(-1)).toBe("idle again");
  });
});
