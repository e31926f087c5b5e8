/**
 * The job loader: every field's bad value produces a problem naming the file
 * and the zod path, and good jobs come out with their defaults filled in.
 */
import { describe, expect, it } from "vitest";
import { jobFiles } from "../../workflows/index.ts";
import { buildRegistry, formatProblem } from "../../src/jobs/registry.ts";
import { parseCron, cronMatches } from "../../src/jobs/cron.ts";
import { parseDuration } from "../../src/jobs/duration.ts";

const FILE = "workflows/sample.ts";
const good = {
  name: "sample",
  source: { kind: "git", url: "https://git.example/repo.git" },
  agent: { adapter: "replay", instructions: "do it" },
  deploy: { workerName: "sample" },
  verify: { probes: [{ path: "/" }] },
};

function problemsFor(patch: (job: Record<string, unknown>) => void) {
  const job = structuredClone(good) as Record<string, unknown>;
  patch(job);
  return buildRegistry([{ file: FILE, definition: job }]).problems;
}

const set = (path: string, value: unknown) => (job: Record<string, unknown>) => {
  const keys = path.split(".");
  let node: Record<string, unknown> = job;
  for (const k of keys.slice(0, -1)) {
    node[k] ??= {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
};

describe("job loader", () => {
  it("fills in defaults for a minimal job", () => {
    const registry = buildRegistry([{ file: FILE, definition: good }]);
    expect(registry.problems).toEqual([]);
    const job = registry.jobs.get("sample")!;
    expect(job.budgets).toEqual({
      maxIterations: 3,
      maxDeploys: 6,
      deadline: 3_600_000,
      maxTokens: 2_000_000,
      maxCostUsd: 5,
      maxSandboxMinutes: 60,
    });
    expect(job.gates.tos.approvers).toEqual(["legal"]);
    expect(job.triggers).toEqual([{ kind: "manual" }]);
    expect(job.verify.probes[0]).toMatchObject({ method: "GET", expect: { status: 200 } });
  });

  it("loads the shipped example job", () => {
    const registry = buildRegistry(jobFiles);
    expect(registry.problems).toEqual([]);
    expect([...registry.jobs.keys()]).toContain("hello-kv");
  });

  it.each<[string, (job: Record<string, unknown>) => void, string]>([
    ["name", set("name", "Bad Name"), "name"],
    ["name vs file", set("name", "other"), "name"],
    ["unknown top-level field", set("scheduel", "x"), ""],
    ["trigger kind", set("triggers", [{ kind: "sometimes" }]), "triggers.0.kind"],
    ["cron", set("triggers", [{ kind: "schedule", cron: "61 * * * *" }]), "triggers.0.cron"],
    ["webhook source", set("triggers", [{ kind: "webhook", source: "" }]), "triggers.0.source"],
    [
      "webhook filter typo",
      set("triggers", [{ kind: "webhook", source: "github", filter: { evnt: "push" } }]),
      "triggers.0.filter",
    ],
    ["source url", set("source", { kind: "git", url: "not a url" }), "source.url"],
    ["source path escaping", set("source", { kind: "directory", path: "../secrets" }), "source.path"],
    ["setup", set("setup", ["npm ci", ""]), "setup.1"],
    ["agent adapter", set("agent.adapter", ""), "agent.adapter"],
    ["agent instructions", set("agent.instructions", 42), "agent.instructions"],
    ["worker name", set("deploy.workerName", "UPPER"), "deploy.workerName"],
    ["settle duration", set("deploy.settle", "soon"), "deploy.settle"],
    ["probe path", set("verify.probes", [{ path: "no-slash" }]), "verify.probes.0.path"],
    ["probe method", set("verify.probes", [{ path: "/", method: "FETCH" }]), "verify.probes.0.method"],
    [
      "probe status",
      set("verify.probes", [{ path: "/", expect: { status: 999 } }]),
      "verify.probes.0.expect.status",
    ],
    [
      "probe regex",
      set("verify.probes", [{ path: "/", expect: { bodyMatches: "([" } }]),
      "verify.probes.0.expect.bodyMatches",
    ],
    [
      "probe latency",
      set("verify.probes", [{ path: "/", expect: { maxLatency: "fast" } }]),
      "verify.probes.0.expect.maxLatency",
    ],
    [
      "command exit",
      set("verify.commands", [{ run: "npm test", expectExit: 300 }]),
      "verify.commands.0.expectExit",
    ],
    ["no checks", set("verify", { probes: [], commands: [] }), "verify"],
    ["iterations", set("budgets.maxIterations", 0), "budgets.maxIterations"],
    ["deploys", set("budgets.maxDeploys", 1.5), "budgets.maxDeploys"],
    ["deadline", set("budgets.deadline", "-1h"), "budgets.deadline"],
    ["tokens", set("budgets.maxTokens", -1), "budgets.maxTokens"],
    ["cost", set("budgets.maxCostUsd", "free"), "budgets.maxCostUsd"],
    ["sandbox minutes", set("budgets.maxSandboxMinutes", -5), "budgets.maxSandboxMinutes"],
    ["gate approvers", set("gates.claim", { approvers: [] }), "gates.claim.approvers"],
    ["gate timeout", set("gates.dns", { timeout: "later" }), "gates.dns.timeout"],
    ["unknown gate", set("gates.merge", {}), "gates"],
    ["promotion", set("promotion", "merge"), "promotion"],
    [
      "dns hostname outside zone",
      set("dns", { zone: "example.com", hostname: "app.example.org" }),
      "dns.hostname",
    ],
    ["dns mode", set("dns", { zone: "example.com", hostname: "example.com", mode: "cname" }), "dns.mode"],
  ])("reports a bad %s with file and path", (_what, patch, path) => {
    const problems = problemsFor(patch);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.file).toBe(FILE);
    expect(problems.map((p) => p.path)).toContain(path);
    expect(formatProblem(problems[0]!)).toMatch(new RegExp(`^${FILE}: `));
  });

  it("reports duplicate job names", () => {
    const registry = buildRegistry([
      { file: FILE, definition: good },
      { file: FILE, definition: good },
    ]);
    expect(registry.problems[0]).toMatchObject({
      path: "name",
      message: expect.stringContaining("duplicate"),
    });
    expect(registry.jobs.size).toBe(1);
  });
});

describe("durations and crons", () => {
  it("parses durations", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("3d")).toBe(259_200_000);
    expect(parseDuration("soon")).toBeUndefined();
  });
  it("matches cron expressions in UTC", () => {
    const nightly = parseCron("0 2 * * *");
    if (!nightly.ok) throw new Error(nightly.error);
    expect(cronMatches(nightly.fields, new Date(Date.UTC(2026, 10, 23, 2, 0)))).toBe(true);
    expect(cronMatches(nightly.fields, new Date(Date.UTC(2026, 10, 23, 3, 0)))).toBe(false);
    const weekdays = parseCron("*/15 9-17 * * 1-5");
    if (!weekdays.ok) throw new Error(weekdays.error);
    expect(cronMatches(weekdays.fields, new Date(Date.UTC(2026, 10, 23, 9, 45)))).toBe(true);
    expect(cronMatches(weekdays.fields, new Date(Date.UTC(2026, 10, 22, 9, 45)))).toBe(false);
    expect(parseCron("* * *")).toMatchObject({ ok: false });
  });
});
