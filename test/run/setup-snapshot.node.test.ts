/**
 * Prepare reuses the job's setup snapshot when what setup depends on is
 * unchanged (source tree, setup commands, lockfile), so a nightly job does not
 * reinstall every night; any change runs setup again. Real Sandbox host,
 * real bubblewrap, real overlay snapshots.
 */
import { asIdempotencyKey } from "../../src/ports/vocabulary.ts";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalSandboxProvider } from "../../src/adapters/sandbox/local.ts";
import { type Job, jobSchema } from "../../src/jobs/schema.ts";
import { type SandboxHost, startSandboxHost } from "../../src/local/sandbox-host/index.ts";
import { prepareWorkspace } from "../../src/run/workspace.ts";

let dir: string;
let host: SandboxHost;

const job = (setup: string[]): Job =>
  jobSchema.parse({
    name: "nightly",
    source: { kind: "directory", path: "workflows/nightly" },
    setup,
    agent: { adapter: "replay", instructions: "x" },
    deploy: { workerName: "nightly" },
    verify: { probes: [{ path: "/" }] },
  });

// Each setup run leaves a different stamp, so a restored setup is told apart from a fresh one.
const INSTALL = "sh -c 'cat /proc/sys/kernel/random/uuid > installed.txt'";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nightshift-setup-"));
  await mkdir(join(dir, "src", "nightly"), { recursive: true });
  await writeFile(join(dir, "src", "nightly", "package-lock.json"), '{"lockfileVersion":3}');
  await writeFile(join(dir, "src", "nightly", "index.js"), "export default {};\n");
  host = await startSandboxHost({
    port: 0,
    stateDir: join(dir, "state"),
    log: () => {},
    readOnlyBinds: [{ source: join(dir, "src"), target: "/sources/workflows" }],
  });
});

afterAll(async () => {
  await host?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("prepare with a setup snapshot", () => {
  it("runs setup once, then restores it for the next run; a change in its inputs runs setup again", async () => {
    const sandboxes = createLocalSandboxProvider({ url: host.url, secret: host.secret });
    const prepare = async (run: string, setup = [INSTALL]) => {
      const sandbox = sandboxes.get(run);
      const result = await prepareWorkspace(
        sandboxes,
        sandbox,
        job(setup),
        asIdempotencyKey(`${run}:prepare#1`),
      );
      if (!result.ok) throw new Error(result.error.message);
      return { ...result, stamp: await sandbox.readFile("/workspace/installed.txt") };
    };

    const first = await prepare("night-1");
    expect(first.reused).toBe(false);
    const second = await prepare("night-2");
    expect(second).toMatchObject({ reused: true, snapshotId: first.snapshotId, stamp: first.stamp });

    const otherCommands = await prepare("night-3", [INSTALL, "true"]);
    expect(otherCommands.reused).toBe(false);
    expect(otherCommands.stamp).not.toBe(first.stamp);

    await writeFile(join(dir, "src", "nightly", "package-lock.json"), '{"lockfileVersion":3,"packages":{}}');
    const newLockfile = await prepare("night-4");
    expect(newLockfile.reused).toBe(false);
    expect(newLockfile.stamp).not.toBe(first.stamp);
    expect(await sandboxes.get("night-4").readFile("/workspace/index.js")).toContain("export default");
  });

  it("keeps what setup ran and printed as the step's log, a failing command's output included", async () => {
    const sandboxes = createLocalSandboxProvider({ url: host.url, secret: host.secret });
    const result = await prepareWorkspace(
      sandboxes,
      sandboxes.get("night-log"),
      job(["sh -c 'echo installing; echo no such package >&2; exit 3'"]),
      asIdempotencyKey("night-log:prepare#1"),
    );
    expect(result).toMatchObject({ ok: false, error: { code: "setup_failed" } });
    const lines = result.log.split("\n");
    expect(lines[0]).toBe("$ cp -a /sources/workflows/nightly/. /workspace/");
    expect(lines).toContain("$ sh -c 'echo installing; echo no such package >&2; exit 3'");
    expect(lines).toContain("installing");
    expect(lines).toContain("no such package");
    expect(lines.at(-1)).toBe("# exit 3");
  });
});
