/**
 * Which of wrangler dev's lines `nightshift start` shows: a warning block whole (issue 18 saw one
 * cut after its header), the cron warning that is false under the local stack's sweeper left
 * out, timing lines only with --verbose; and lines split across chunks joined again.
 */
import { describe, expect, it } from "vitest";
import { devOutputFilter, lineSplitter } from "../../src/local/orchestrator/dev-output.ts";

/** wrangler's warning blocks as it prints them (esbuild's format: header, message, blank line), in colour. */
const YELLOW_HEADER = "\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1m";
const CONFIG_WARNING = [
  `${YELLOW_HEADER}Processing wrangler.jsonc configuration:\u001b[0m`,
  '    - The "standard" instance_type has been renamed to "standard-1" and will be removed in a subsequent version. Please update your configuration to use "standard-1" instead.',
  "",
];
const CRON_WARNING = [
  `${YELLOW_HEADER}Scheduled Workers are not automatically triggered during local development.`,
  "To manually trigger a scheduled event, run:",
  '  curl "http://127.0.0.1:8787/cdn-cgi/local/scheduled"',
  "For more details, see https://developers.cloudflare.com/workers/configuration/cron-triggers/#test-cron-triggers-locally\u001b[0m",
  "",
];
const OUTPUT = [
  ...CONFIG_WARNING,
  "Using secrets defined in state/wrangler/secret.vars",
  "Your Worker has access to the following bindings:",
  "env.DB (nightshift)                                   D1 Database               local",
  'env.NIGHTSHIFT_MODE ("local")                         Environment Variable      local',
  "The following containers are available:",
  "- nightshift-sandbox (Dockerfile)",
  ...CRON_WARNING,
  "[wrangler:info] Ready on http://127.0.0.1:8787",
  "nightshift timing run-1 write#1 agent 1189",
  "nightshift notify [gate.opened] hello-kv: claim gate waiting for approval",
  "[wrangler:info] GET /api/runs/run-1 200 OK (9ms)",
  "✘ [ERROR] Uncaught Error: boom",
  "",
  "      at worker.js:1:1",
  "",
  "[wrangler:info] GET /api/runs/run-1 500 Internal Server Error (9ms)",
];

const shown = (verbose: boolean) => OUTPUT.flatMap(devOutputFilter({ verbose }));

describe("wrangler dev's output under nightshift start", () => {
  it("shows a warning block whole, with the lines after its header", () => {
    const lines = shown(false);
    const header = lines.findIndex((l) => l.includes("Processing wrangler.jsonc configuration:"));
    expect(header).toBeGreaterThanOrEqual(0);
    expect(lines[header + 1]).toContain('instance_type has been renamed to "standard-1"');
  });

  it("leaves out the cron warning, untrue here, with every line of its block", () => {
    const text = shown(false).join("\n");
    expect(text).not.toMatch(/Scheduled Workers|manually trigger|cdn-cgi\/local\/scheduled|cron-triggers/);
  });

  it("shows errors with their stack, nightshift's own lines, and nothing routine", () => {
    expect(shown(false).slice(2)).toEqual([
      "nightshift notify [gate.opened] hello-kv: claim gate waiting for approval",
      "✘ [ERROR] Uncaught Error: boom",
      "      at worker.js:1:1",
      "[wrangler:info] GET /api/runs/run-1 500 Internal Server Error (9ms)",
    ]);
  });

  it("with --verbose shows every line that is not blank, timings and the cron warning too", () => {
    const lines = shown(true);
    expect(lines).toHaveLength(OUTPUT.filter((l) => l.trim()).length);
    expect(lines).toContain("nightshift timing run-1 write#1 agent 1189");
    expect(lines.join("\n")).toContain("Scheduled Workers are not automatically triggered");
  });

  it("joins a line a chunk boundary cut in two, and keeps the last line until the stream ends", () => {
    const split = lineSplitter();
    expect(split.push("▲ [WARNING] Processing wrangler.jsonc conf")).toEqual([]);
    expect(split.push("iguration:\r\n\n  - The ")).toEqual([
      "▲ [WARNING] Processing wrangler.jsonc configuration:",
      "",
    ]);
    expect(split.push("rest")).toEqual([]);
    expect(split.flush()).toEqual(["  - The rest"]);
    expect(split.flush()).toEqual([]);
  });
});
