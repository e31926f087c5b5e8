/** The CLI's pure readings of a run: what it waits for, duration, cost, diff stats and colour, folded lines. */
import { describe, expect, it } from "vitest";
import { formatEntry, progressLine } from "../../src/cli/commands/logs.ts";
import { runsTable } from "../../src/cli/commands/runs.ts";
import { colourDiff, diffStat, formatStat } from "../../src/cli/diff-text.ts";
import { foldedPrinter } from "../../src/cli/folded-lines.ts";
import { runCost, runDuration, waitingSentence } from "../../src/cli/run-lines.ts";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIN = 60_000;
const run = {
  id: "r1",
  job: "hello",
  state: "awaitingClaim",
  status: "waiting",
  steps: 7,
  currentStep: null,
  createdAt: NOW - 3 * MIN - 12_000,
  updatedAt: NOW - MIN,
  budgets: { spent: { costUsd: 0.4213 } },
  waitingFor: {
    kind: "gate" as const,
    gate: { kind: "claim", seq: 1 },
    what: "a decision at the claim gate",
    until: NOW + 41 * MIN,
  },
};

describe("what a run waits for", () => {
  it("names the gate and the time left", () => {
    expect(waitingSentence(run, NOW)).toBe("waiting for a decision at the claim gate (claim-1), 41m00s left");
    expect(progressLine(run, NOW)).toBe("waiting for a decision at the claim gate (claim-1), 41m00s left");
  });
  it("says where to claim when the claim URL is visible, and the API's words when it is not", () => {
    const claim = {
      ...run,
      state: "promoting",
      waitingFor: {
        kind: "claim" as const,
        gate: null,
        what: "someone to claim it (on the claim gate's page)",
        until: NOW + 12 * MIN,
      },
    };
    expect(waitingSentence({ ...claim, account: { claimUrl: "https://dash.example/claim/t" } }, NOW)).toBe(
      "waiting for someone to claim the temporary account at https://dash.example/claim/t, 12m00s left",
    );
    expect(waitingSentence({ ...claim, account: { claimUrl: null } }, NOW)).toBe(
      "waiting for someone to claim it (on the claim gate's page), 12m00s left",
    );
  });
  it("falls back to state and steps for a busy run", () => {
    expect(progressLine({ ...run, waitingFor: null, state: "deploying", currentStep: "deploy#1" }, NOW)).toBe(
      "deploying · 7 steps · deploy#1",
    );
  });
});

describe("duration and cost", () => {
  it("counts an active run until now and a final one until it ended", () => {
    expect(runDuration(run, NOW)).toBe("3m12s");
    expect(runDuration({ ...run, status: "final" }, NOW)).toBe("2m12s");
    expect(runDuration({ ...run, createdAt: NOW - 65 * MIN }, NOW)).toBe("1h05m");
  });
  it("shows the spend in dollars, or a dash before there are budgets", () => {
    expect(runCost(run)).toBe("$0.42");
    expect(runCost({ ...run, budgets: null })).toBe("—");
  });
  it("puts both, and what the run waits for, in the runs table", () => {
    const [head, row] = runsTable([run], NOW).split("\n");
    expect(head).toMatch(/^RUN\s+JOB\s+STATE\s+STATUS\s+STARTED\s+TOOK\s+COST\s+WAITING FOR$/);
    expect(row).toMatch(
      /^r1\s+hello\s+awaitingClaim\s+waiting\s+3m ago\s+3m12s\s+\$0\.42\s+a decision at the claim gate \(claim-1\), 41m00s left$/,
    );
  });
});

describe("folded events", () => {
  const event = {
    seq: 9,
    type: "promote.pending",
    step: "promote#3",
    actor: null,
    to: "promoting",
    data: null,
    at: NOW,
  };
  it("adds the count and the first time to the newest of identical events", () => {
    expect(formatEntry({ ...event, repeat: { count: 4, firstSeq: 3, firstAt: NOW - 90_000 } })).toBe(
      "12:00:00  promote.pending → promoting  [promote#3]  ×4 since 11:58:30",
    );
    expect(formatEntry(event)).toBe("12:00:00  promote.pending → promoting  [promote#3]");
  });
});

describe("diff stat and colour", () => {
  const diff = [
    "diff --git a/a.ts b/a.ts",
    "--- a/a.ts",
    "+++ b/a.ts",
    "@@ -1,3 +1,3 @@",
    " one",
    "--- not a header: a removed line",
    "+two",
    " three",
    "--- a/gone.txt",
    "+++ /dev/null",
    "@@ -1 +0,0 @@",
    "-bye",
    "",
  ].join("\n");
  it("counts lines per file, hunk by hunk, bare diffs too", () => {
    expect(diffStat(diff)).toEqual([
      { path: "a.ts", added: 1, removed: 1 },
      { path: "gone.txt", added: 0, removed: 1 },
    ]);
    expect(formatStat(diffStat(diff))).toBe(
      " a.ts     |    2 +1 -1\n gone.txt |    1 +0 -1\n 2 files changed, 1 insertion(+), 2 deletions(-)",
    );
    expect(diffStat("")).toEqual([]);
  });
  it("colours additions, removals, hunks and headers", () => {
    const lines = colourDiff(diff).split("\n");
    expect(lines[0]).toBe("\x1b[1mdiff --git a/a.ts b/a.ts\x1b[0m");
    expect(lines[3]?.startsWith("\x1b[36m@@")).toBe(true);
    expect(lines[6]).toBe("\x1b[32m+two\x1b[0m");
    expect(lines[5]).toBe("\x1b[31m--- not a header: a removed line\x1b[0m");
    expect(lines[4]).toBe(" one");
  });
});

describe("a followed timeline, folded across polls", () => {
  const check = (seq: number, count = 1) => ({
    seq,
    type: "promote.pending",
    to: "promoting",
    data: { how: "fake" },
    at: NOW + seq * 1000,
    ...(count > 1
      ? { repeat: { count, firstSeq: seq - count + 1, firstAt: NOW + (seq - count + 1) * 1000 } }
      : {}),
  });
  const other = { seq: 20, type: "run.cancel_requested", to: null, data: null, at: NOW + 20_000 };
  const say = (e: { type: string; seq: number; repeat?: { count: number; firstSeq: number } }) =>
    `${e.type}#${e.seq}${e.repeat ? ` ×${e.repeat.count} from #${e.repeat.firstSeq}` : ""}`;

  it("prints the count once more on a pipe, when the repeats stop", () => {
    const printed: string[] = [];
    const lines = foldedPrinter(say, { print: (l) => printed.push(l) });
    lines.add(check(1));
    lines.add(check(3, 2)); // the next poll: two more, folded by the API
    lines.add(check(4));
    expect(printed).toEqual(["promote.pending#1"]);
    lines.add(other);
    lines.end();
    expect(printed).toEqual(["promote.pending#1", "promote.pending#4 ×4 from #1", "run.cancel_requested#20"]);
  });

  it("rewrites the line in place on a terminal, and adds nothing at the end", () => {
    const printed: string[] = [];
    const lines = foldedPrinter(say, {
      print: (l) => printed.push(l),
      rewriteLast: (l) => {
        printed[printed.length - 1] = l;
        return true;
      },
    });
    lines.add(check(2, 2));
    lines.add(check(3));
    lines.end();
    expect(printed).toEqual(["promote.pending#3 ×3 from #1"]);
  });

  it("keeps events that differ in their data apart", () => {
    const printed: string[] = [];
    const lines = foldedPrinter(say, { print: (l) => printed.push(l) });
    lines.add(check(1));
    lines.add({ ...check(2), data: { how: "other" } });
    lines.end();
    expect(printed).toEqual(["promote.pending#1", "promote.pending#2"]);
  });
});
