/**
 * The real `nightshift` binary (bin/nightshift.mjs → tsx → src/cli/main.ts)
 * against the test Worker under real `wrangler dev`: tokens, runs, gates,
 * decisions, logs, cancel and resume, human and `--json`, with the exit codes
 * scripts rely on (docs/cli.md).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stepPolicy } from "../../src/run/step-policy.ts";
import { BOOTSTRAP_TOKEN, type LocalStack, ROOT, startLocalStack, until } from "../e2e/local-stack.ts";

let stack: LocalStack;
let dir: string;

beforeAll(async () => {
  // Retry delays of 10 ms: an outage outlasts a step's retries in seconds (test/support/test-worker.ts).
  stack = await startLocalStack({ TEST_STEP_RETRY_DELAY_MS: "10" });
  dir = await mkdtemp(join(tmpdir(), "nightshift-cli-"));
});

afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], token = BOOTSTRAP_TOKEN): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin", "nightshift.mjs"), ...args],
      {
        cwd: dir,
        env: { ...process.env, NIGHTSHIFT_URL: stack.url, NIGHTSHIFT_TOKEN: token },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// biome-ignore lint/suspicious/noExplicitAny: JSON printed by the CLI, read loosely by the assertions
const json = (r: Result) => JSON.parse(r.stdout) as Record<string, any>;

async function atGate(id: string) {
  await until(`run ${id} at its claim gate`, async () => {
    const r = await cli(["gates", "--json"]);
    return json(r).gates.some((g: { runId: string }) => g.runId === id) ? true : undefined;
  });
}

describe("nightshift CLI", () => {
  let approverToken: string;
  let viewerToken: string;
  let viewerId: string;

  it("creates personal tokens (secret printed once) and lists them", async () => {
    const approver = await cli([
      "token",
      "create",
      "--identity",
      "ann@example.com",
      "--roles",
      "approver,viewer",
    ]);
    expect(approver.code).toBe(0);
    approverToken = approver.stdout.trim();
    expect(approverToken).toMatch(/^nst_/);
    expect(approver.stderr).toMatch(/shown once/);
    const viewer = await cli([
      "token",
      "create",
      "--identity",
      "vic@example.com",
      "--roles",
      "viewer",
      "--json",
    ]);
    expect(viewer.code).toBe(0);
    viewerToken = json(viewer).token;
    viewerId = json(viewer).id;
    const list = await cli(["token", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/ann@example.com\s+approver,viewer/);
    const bad = await cli(["token", "create", "--roles", "superuser"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("starts a run with an input file, approves its gate and follows it to success (exit 0)", async () => {
    const input = join(dir, "input.json");
    await writeFile(input, JSON.stringify({ fake: {}, note: "from a file" }));
    const started = await cli(
      ["run", "loop", "--input", input, "--id", "cli-approve", "--json"],
      approverToken,
    );
    expect(started.code).toBe(0);
    expect(json(started).run.id).toBe("cli-approve");
    await atGate("cli-approve");

    const gates = await cli(["gates"]);
    expect(gates.stdout).toMatch(/cli-approve\s+claim-1\s+pending\s+\S+ ago\s+\d+m\d\ds left/);
    const denied = await cli(["approve", "cli-approve", "claim"], viewerToken);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/may not decide/);

    const approved = await cli(["approve", "cli-approve", "claim", "--reason", "ship it"], approverToken);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/claim-1: approved by ann@example.com/);
    const again = await cli(["approve", "cli-approve", "claim", "--json"], approverToken);
    expect(again.code).toBe(5);
    expect(json(again).error.code).toBe("gate_not_pending");

    const followed = await cli(["logs", "cli-approve", "--follow"]);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/gate\.approved.*\(ann@example.com\) “ship it”/);
    expect(followed.stdout).toMatch(/run cli-approve ended: succeeded/);
    const ndjson = await cli(["logs", "cli-approve", "--json"]);
    const types = ndjson.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line).type);
    expect(types[0]).toBe("run.started");
    expect(types.at(-1)).toBe("run.finished");
  });

  it("rejects only with a reason, and `logs --follow` exits 1 for a run that did not succeed", async () => {
    expect((await cli(["run", "loop", "--id", "cli-reject"], approverToken)).code).toBe(0);
    await atGate("cli-reject");
    const bare = await cli(["reject", "cli-reject", "claim"], approverToken);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/needs --reason/);
    const rejected = await cli(["reject", "cli-reject", "claim", "--reason", "wrong worker"], approverToken);
    expect(rejected.code).toBe(0);
    const followed = await cli(["logs", "cli-reject", "--follow"]);
    expect(followed.code).toBe(1);
    expect(followed.stdout).toMatch(/ended: rejected/);
    const runs = await cli(["runs", "--job", "loop", "--state", "rejected", "--json"]);
    expect(json(runs).runs.map((r: { id: string }) => r.id)).toEqual(["cli-reject"]);
  });

  it("cancels a waiting run, refuses to cancel it twice (exit 5) and says 4 for what does not exist", async () => {
    expect((await cli(["run", "loop", "--id", "cli-cancel"], approverToken)).code).toBe(0);
    await atGate("cli-cancel");
    expect((await cli(["cancel", "cli-cancel", "--reason", "not tonight"], approverToken)).code).toBe(0);
    await until("the cancelled run to end", async () =>
      json(await cli(["runs", "--json"])).runs.find(
        (r: { id: string; status: string }) => r.id === "cli-cancel" && r.status === "final",
      ),
    );
    expect((await cli(["cancel", "cli-cancel"], approverToken)).code).toBe(5);
    expect((await cli(["logs", "no-such-run"])).code).toBe(4);
    expect((await cli(["run", "no-such-job"], approverToken)).code).toBe(4);
    expect((await cli(["run", "loop"], viewerToken)).code).toBe(3);
  });

  it("resumes a run that failed on infrastructure and follows it to success; refuses the others (exit 5)", async () => {
    const input = join(dir, "outage.json");
    const attempts = stepPolicy("deploy").retries.limit + 1;
    await writeFile(input, JSON.stringify({ fake: { outages: { "deploy#1": attempts } } }));
    expect((await cli(["run", "loop", "--input", input, "--id", "cli-resume"], approverToken)).code).toBe(0);
    // Watched over HTTP: each CLI call is a process of its own, too slow to poll with.
    const runNow = async () => (await stack.call("/api/runs/cli-resume")).body.run;
    const failed = await until("the run to fail on the outage", async () => {
      const run = await runNow();
      return run?.status === "final" ? run : undefined;
    });
    expect(failed).toMatchObject({ state: "failed", outcome: { code: "outage" }, resumable: true });

    const resumed = await cli(["resume", "cli-resume"], approverToken);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^cli-resume: resumed at deploying \(resume 1\)/);
    const again = await cli(["resume", "cli-resume", "--json"], approverToken);
    expect(again.code).toBe(5);
    expect(json(again).error).toMatchObject({ code: "conflict", status: 409 });
    expect(json(again).error.message).toMatch(/is still (running|waiting)/);

    await until("the resumed run at its claim gate", async () =>
      (await runNow())?.state === "awaitingClaim" ? true : undefined,
    );
    expect((await cli(["approve", "cli-resume", "claim"], approverToken)).code).toBe(0);
    const followed = await cli(["logs", "cli-resume", "--follow"]);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/run\.aborted/);
    expect(followed.stdout).toMatch(/run\.resumed.*\(ann@example.com\)/);
    expect(followed.stdout).toMatch(/run cli-resume ended: succeeded/);

    const rejected = await cli(["resume", "cli-reject"], approverToken);
    expect(rejected.code).toBe(5);
    expect(rejected.stderr).toMatch(
      /run cli-reject ended rejected: only a run that failed on infrastructure/,
    );
    expect((await cli(["resume", "no-such-run"], approverToken)).code).toBe(4);
  }, 240_000);

  it("lists jobs, pauses and unpauses one, and fires its schedule (human and --json)", async () => {
    const listed = await cli(["jobs"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^JOB\s+TRIGGERS\s+CONCURRENCY\s+STATE$/m);
    expect(listed.stdout).toMatch(/^nightly\s+cron 0 3 \* \* \*; cron 0 3 \* \* 1\s+skip\s+active$/m);
    expect(listed.stdout).toMatch(
      /^gh-push\s+webhook github event=push,repository=codertocat\/hello-world,branch=master\s+allow/m,
    );
    const asJson = json(await cli(["jobs", "--json"]));
    expect(asJson.jobs.find((j: { name: string }) => j.name === "nightly")).toMatchObject({ paused: false });
    expect(asJson.problems).toEqual([]);

    expect((await cli(["pause", "nightly"], viewerToken)).code).toBe(3);
    const paused = await cli(["pause", "nightly", "--reason", "upstream down"], approverToken);
    expect(paused.code).toBe(0);
    expect(paused.stdout.trim()).toMatch(
      /^nightly: paused since \d+s ago by ann@example.com “upstream down”$/,
    );
    expect((await cli(["pause", "nightly"], approverToken)).stdout).toMatch(/^nightly: already paused/);
    expect((await cli(["jobs"])).stdout).toMatch(
      /^nightly\s.*\spaused \d+s ago by ann@example.com “upstream down”$/m,
    );

    const skipped = await cli(["fire", "nightly", "--json"], approverToken);
    expect(skipped.code).toBe(1);
    expect(json(skipped)).toMatchObject({ outcome: "skipped", reason: "paused" });

    const unpaused = await cli(["unpause", "nightly", "--json"], approverToken);
    expect(unpaused.code).toBe(0);
    expect(json(unpaused)).toMatchObject({ job: "nightly", changed: true, paused: false });
    expect((await cli(["unpause", "nightly"], approverToken)).stdout.trim()).toBe("nightly: was not paused");

    const fired = await cli(["fire", "nightly"], approverToken);
    expect(fired.code).toBe(0);
    const runId = /^nightly: started run (\S+)$/.exec(fired.stdout.trim())?.[1];
    expect(runId).toBeDefined();
    const runs = json(await cli(["runs", "--job", "nightly", "--json"]));
    expect(runs.runs.map((r: { id: string }) => r.id)).toContain(runId);

    const noSchedule = await cli(["fire", "loop"], approverToken);
    expect(noSchedule.code).toBe(5);
    expect(noSchedule.stderr).toMatch(/^nightshift: job loop has no schedule trigger$/m);
    expect((await cli(["fire", "no-such-job"], approverToken)).code).toBe(4);
    expect((await cli(["unpause", "no-such-job"], approverToken)).code).toBe(4);
  });

  it("revokes a token: the next command with it is refused (exit 3)", async () => {
    expect((await cli(["runs"], viewerToken)).code).toBe(0);
    const revoked = await cli(["token", "revoke", viewerId]);
    expect(revoked.code).toBe(0);
    const after = await cli(["runs", "--json"], viewerToken);
    expect(after.code).toBe(3);
    expect(json(after).error.code).toBe("unauthorized");
  });

  it("says 6 when nightshift cannot be reached, and 2 for unknown flags", async () => {
    const unreachable = await cli(["runs", "--url", "http://127.0.0.1:9"]);
    expect(unreachable.code).toBe(6);
    expect(unreachable.stderr).toMatch(/cannot reach nightshift/);
    expect((await cli(["runs", "--bogus"])).code).toBe(2);
    const record = await cli(["record", "some-run", "--url", "http://127.0.0.1:9"]);
    expect(record.code).toBe(6);
    expect(record.stderr).toMatch(/^nightshift: cannot reach nightshift/);
  });
});
