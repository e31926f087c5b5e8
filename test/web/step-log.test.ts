/** A step's kept output as text (src/web/step-log.ts) and the one-line summary of a failed verification. */
import { describe, expect, it } from "vitest";
import type { Check } from "../../src/ports/verifier.ts";
import { failingSummary } from "../../src/run/verify-report.ts";
import { reportText, stepLogParts } from "../../src/web/step-log.ts";

const check = (name: string, passed: boolean, actual = "status 200"): Check => ({
  name,
  kind: "probe",
  passed,
  expected: "status 200",
  actual,
  excerpt: passed ? "" : "Internal Server Error",
  durationMs: 3,
});

describe("failingSummary", () => {
  it("names each failing check with what was expected and what came back", () => {
    const report = {
      passed: false,
      url: "https://w.example",
      checks: [
        check("GET /", false, "status 500"),
        check("GET /count", true),
        check("lint", false, "exit 1"),
      ],
    };
    expect(failingSummary(report)).toBe(
      "2 of 3 checks failed: GET /: expected status 200, got status 500; lint: expected status 200, got exit 1",
    );
  });

  it("names three and counts the rest", () => {
    const checks = ["a", "b", "c", "d", "e"].map((n) => check(n, false, "status 404"));
    expect(failingSummary({ passed: false, url: "u", checks })).toMatch(
      /^5 of 5 checks failed: a: .*; c: .*; and 2 more$/,
    );
  });
});

describe("step log", () => {
  it("shows a verify report a check a line, with the failing one's excerpt", () => {
    const body = JSON.stringify({
      passed: false,
      url: "https://w.example",
      checks: [check("GET /", false, "status 500"), check("GET /x", true)],
    });
    expect(reportText(body).split("\n")).toEqual([
      "failed: https://w.example",
      "FAIL  probe GET /",
      "      expected status 200",
      "      got      status 500",
      "      | Internal Server Error",
      "PASS  probe GET /x",
    ]);
    expect(reportText("not json")).toBe("not json");
  });

  it("titles each part and makes its paths relative to the job's project", () => {
    const parts = stepLogParts(
      [{ ref: "r:deploy#1:log", kind: "deploy-log", body: "✘ [ERROR] /workspace/src/index.ts:3:1" }],
      { kind: "directory", path: "workflows/w" },
    );
    expect(parts).toEqual([
      {
        ref: "r:deploy#1:log",
        kind: "deploy-log",
        title: "wrangler's output (deploy)",
        text: "✘ [ERROR] workflows/w/src/index.ts:3:1",
      },
    ]);
  });
});
