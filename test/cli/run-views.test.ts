/**
 * What the CLI shows about a run, through the real binary against the test Worker under real
 * `wrangler dev`: `diff` (whole change, one round, --stat, --json, missing ones), what a run
 * waits for in `runs` and `logs --follow`, how long it took and what it cost, and identical
 * events in a row folded into one line by `logs` while `--json` keeps every one.
 */
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOTSTRAP_TOKEN, type LocalStack, ROOT, startLocalStack, until } from "../e2e/local-stack.ts";

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack();
});

afterAll(async () => {
  await stack?.close();
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const env = (token: string) => ({ ...process.env, NIGHTSHIFT_URL: stack.url, NIGHTSHIFT_TOKEN: token });

function cli(args: string[], token = BOOTSTRAP_TOKEN): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin", "nightshift.mjs"), ...args],
      { env: env(token), timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `nightshift logs <run> --follow`, read as it prints. */
function follow(run: string, token = BOOTSTRAP_TOKEN) {
  const child = spawn(process.execPath, [join(ROOT, "bin", "nightshift.mjs"), "logs", run, "--follow"], {
    env: env(token),
  });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  return {
    output: () => out,
    exited,
    waitFor: (pattern: RegExp) =>
      until(`logs --follow to print ${pattern}; it printed:\n${out}`, async () =>
        pattern.test(out) ? out : undefined,
      ),
    stop: () => child.kill(),
  };
}

/** `nightshift logs <run> --follow` until its output matches `pattern`, then stopped. */
async function followUntil(run: string, pattern: RegExp, token = BOOTSTRAP_TOKEN): Promise<string> {
  const followed = follow(run, token);
  try {
    return await followed.waitFor(pattern);
  } finally {
    followed.stop();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: JSON printed by the CLI, read loosely by the assertions
const json = (r: Result) => JSON.parse(r.stdout) as Record<string, any>;

const ROUND_1 = `diff --git a/src/index.ts b/src/index.ts
--- a/src/index.ts
+++ b/src/index.ts
@@ -1,2 +1,2 @@
 export default {
-  fetch: () => new Response("hi"),
+  fetch: () => new Response("hello"),
`;
const ROUND_2 = `diff --git a/README.md b/README.md
new file mode 100644
--- /dev/null
+++ b/README.md
@@ -0,0 +1,2 @@
+# hello
+-- a line that looks like a header
`;

async function putArtifact(ref: string, run: string, kind: string, body: string) {
  const response = await fetch(
    `${stack.url}/__test/artifacts/${encodeURIComponent(ref)}?run=${run}&kind=${kind}`,
    { method: "PUT", headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` }, body },
  );
  expect(response.status).toBe(204);
}

async function viewerToken(): Promise<string> {
  const minted = await stack.call("/api/tokens", {
    json: { identity: "vic@example.com", roles: ["viewer"] },
  });
  return minted.body.token as string;
}

describe("nightshift diff", () => {
  it("prints the whole change, one round's, the file list and JSON; exit 4 for what is not there", async () => {
    await stack.runTo("loop", "diff-1", "awaitingClaim");
    const none = await cli(["diff", "diff-1"]);
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/run diff-1 has no whole change recorded/);

    await putArtifact("diff-1:write#1:round-diff", "diff-1", "round-diff", ROUND_1);
    await putArtifact("diff-1:fix#1:round-diff", "diff-1", "round-diff", ROUND_2);
    await putArtifact("diff-1:fix#1:diff", "diff-1", "diff", ROUND_1 + ROUND_2);

    const whole = await cli(["diff", "diff-1"]);
    expect(whole.code).toBe(0);
    // Not a terminal: the diff exactly as recorded, no colour codes.
    expect(whole.stdout).toBe(ROUND_1 + ROUND_2);
    expect((await cli(["diff", "diff-1", "--round", "2"])).stdout).toBe(ROUND_2);

    const stat = await cli(["diff", "diff-1", "--stat"]);
    expect(stat.stdout.split("\n").slice(0, 3)).toEqual([
      " src/index.ts |    2 +1 -1",
      " README.md    |    2 +2 -0",
      " 2 files changed, 3 insertions(+), 1 deletion(-)",
    ]);
    const statJson = json(await cli(["diff", "diff-1", "--round", "1", "--stat", "--json"]));
    expect(statJson).toEqual({
      ref: "diff-1:write#1:round-diff",
      files: [{ path: "src/index.ts", added: 1, removed: 1 }],
    });
    expect(json(await cli(["diff", "diff-1", "--json"]))).toEqual({
      ref: "diff-1:fix#1:diff",
      diff: ROUND_1 + ROUND_2,
    });

    const past = await cli(["diff", "diff-1", "--round", "3"]);
    expect(past.code).toBe(4);
    expect(past.stderr).toMatch(/run diff-1 has 2 rounds recorded, not round 3/);
    const bad = await cli(["diff", "diff-1", "--round", "first"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--round must be a round number from 1, not "first"/);
    expect((await cli(["diff", "no-such-run"])).code).toBe(4);
    await stack.call("/api/runs/diff-1/cancel", { json: {} });
  });
});

describe("what a run waits for, how long it took, what it cost", () => {
  it("says in `runs` and `logs --follow` which gate a run waits at, with its time left", async () => {
    await stack.runTo("loop", "wait-gate", "awaitingClaim");
    const runs = await cli(["runs", "--job", "loop"]);
    expect(runs.stdout.split("\n")[0]).toMatch(
      /^RUN\s+JOB\s+STATE\s+STATUS\s+STARTED\s+TOOK\s+COST\s+WAITING FOR$/,
    );
    expect(runs.stdout).toMatch(
      /wait-gate\s+loop\s+awaitingClaim\s+waiting\s+\S+ ago\s+(\d+m)?\d+s\s+\$0\.01\s+a decision at the claim gate \(claim-1\), \d+m\d\ds left/,
    );
    const followed = await followUntil("wait-gate", /· waiting for/);
    expect(followed).toMatch(/^· waiting for a decision at the claim gate \(claim-1\), \d+m\d\ds left$/m);

    await stack.call("/api/runs/wait-gate/cancel", { json: { reason: "done looking" } });
    await until("the cancelled run to end", async () =>
      (await stack.call("/api/runs/wait-gate")).body.run.status === "final" ? true : undefined,
    );
    const took = async () => {
      const line = (await cli(["runs", "--job", "loop"])).stdout
        .split("\n")
        .find((l) => l.startsWith("wait-gate "));
      return line?.split(/\s{2,}/);
    };
    // A final run waits for nothing, and its time is fixed: it does not grow while we look.
    const before = await took();
    await new Promise((r) => setTimeout(r, 2_000));
    const after = await took();
    expect(before?.at(-1)).toBe("—");
    expect(after?.[5]).toBe(before?.[5]);
  });

  it("folds a claim check every second into one line, says who should claim where, and --json keeps all", async () => {
    const started = await stack.call("/api/jobs/loop-claim-poll/runs", {
      json: { id: "wait-claim", input: { fake: { claimPendingChecks: 1_000 } } },
    });
    expect(started.status).toBe(201);
    await until("wait-claim at its claim gate", async () =>
      (await stack.call("/api/runs/wait-claim")).body.run.state === "awaitingClaim" ? true : undefined,
    );
    expect((await stack.call("/api/runs/wait-claim/gates/claim/approve", { json: {} })).status).toBe(200);
    const pendings = async (n: number) =>
      until(`${n} claim checks`, async () => {
        const { events } = (await stack.call("/api/runs/wait-claim/events")).body;
        return events.filter((e: { type: string }) => e.type === "promote.pending").length >= n
          ? true
          : undefined;
      });
    await pendings(3);

    // An admin may decide the claim gate, so sees where to claim; a viewer is told where to look.
    const admin = await followUntil("wait-claim", /· waiting for/);
    expect(admin).toMatch(
      /^· waiting for someone to claim the temporary account at https:\/\/dash\.fake\.test\/claim\/\S+, \d+m\d\ds left$/m,
    );
    const viewer = await followUntil("wait-claim", /· waiting for/, await viewerToken());
    expect(viewer).toMatch(
      /^· waiting for someone to claim the temporary account at its claim URL \(on the claim gate's page\)/m,
    );
    expect(viewer).not.toMatch(/dash\.fake\.test/);

    const logs = await cli(["logs", "wait-claim"]);
    const lines = logs.stdout.split("\n").filter((l) => l.includes("promote.pending"));
    expect(lines).toHaveLength(1);
    const count = Number(/×(\d+) since \d\d:\d\d:\d\d$/.exec(lines[0] ?? "")?.[1]);
    expect(count).toBeGreaterThanOrEqual(3);
    const all = (await cli(["logs", "wait-claim", "--json"])).stdout.trim().split("\n");
    expect(all.filter((l) => JSON.parse(l).type === "promote.pending").length).toBeGreaterThanOrEqual(count);

    // Followed through a pipe, the repeats arriving in later polls are counted, and the whole
    // count is one more line once they stop: here, when the run is cancelled.
    const followed = follow("wait-claim");
    const first = Number(
      /promote\.pending.*×(\d+) since/.exec(await followed.waitFor(/promote\.pending.*×\d+ since/))?.[1],
    );
    await pendings(first + 3);
    await stack.call("/api/runs/wait-claim/cancel", { json: { reason: "enough" } });
    expect(await followed.exited).toBe(1);
    const printed = followed.output().split("\n");
    const repeats = printed.filter((l) => l.includes("promote.pending"));
    expect(repeats).toHaveLength(2);
    const [since1, since2] = repeats.map((l) => / since (\S+)$/.exec(l)?.[1]);
    expect(since2).toBe(since1);
    expect(Number(/×(\d+)/.exec(repeats[1] ?? "")?.[1])).toBeGreaterThanOrEqual(first + 3);
    expect(printed.indexOf(repeats[1] ?? "")).toBeLessThan(printed.findIndex((l) => /run\.cancel/.test(l)));
    expect(printed).toContain("run wait-claim ended: cancelled");
  });
});
