/**
 * A gate page's sections: the DNS plan (the mismatch flag, each resource before and after,
 * escaping) and the diff (the run's whole change with its file list, then each round's).
 */
import { describe, expect, it } from "vitest";
import type { GateView } from "../../src/gates/view.ts";
import { diffSection, dnsSection } from "../../src/ui/pages/gate.ts";
import { decideByLine, timeLeftFor } from "../../src/ui/deadline.ts";
import { decideBy } from "../../src/store/gates.ts";

describe("a gate's one deadline", () => {
  const HOUR = 3_600_000;
  const now = Date.UTC(2026, 0, 1);
  const claim = { deadline_at: now + 24 * HOUR, shown_json: { accountExpiresAt: now + 41 * 60_000 } };

  it("leads with the account's expiry when it comes before the claim gate's timeout", () => {
    const line = decideByLine(decideBy(claim), now).text;
    expect(line).toMatch(/^2026-01-01T00:41:00Z/);
    expect(line).toContain('41m 00s left</time> <span class="why">(account to claim expires)</span>');
    expect(line).toContain("then the gate times out at 2026-01-02T00:00:00Z");
    expect(timeLeftFor(decideBy(claim), now).text).not.toContain("24h");
  });

  it("shows the timeout alone for a gate that depends on nothing else", () => {
    const line = decideByLine(decideBy({ deadline_at: now + 2 * HOUR, shown_json: {} }), now).text;
    expect(line).toContain("(gate times out)");
    expect(line).not.toContain("then the");
  });
});

describe("the diff on a gate page", () => {
  const gate = { run_id: "r1" } as GateView["gate"];
  const change = (path: string, from: string, to: string) =>
    `diff -ruN a/${path} b/${path}\n--- a/${path}\n+++ b/${path}\n@@ -1 +1 @@\n-${from}\n+${to}\n`;
  const round1 = change("src/index.ts", "old", "bug <script>x</script>");
  const round2 = change("src/index.ts", "bug <script>x</script>", "fixed");
  const rounds = [
    { ref: "r1:write#1:round-diff", body: round1 },
    { ref: "r1:fix#1:round-diff", body: round2 },
  ];

  it("leads with the run's whole change and its file list, then folds the rounds", () => {
    const net = change("src/index.ts", "old", "fixed") + change("README.md", "a", "b");
    const markup = diffSection({ gate, diff: net, roundDiffs: rounds }).text;
    expect(markup).toContain("2 files changed: <code>src/index.ts</code>, <code>README.md</code>");
    expect(markup).toContain('<span class="add">+fixed</span>');
    expect(markup.indexOf("README.md")).toBeLessThan(markup.indexOf("By round (2)"));
    expect(markup).toContain("<h3>write#1</h3>");
    expect(markup).toContain("<h3>fix#1</h3>");
    expect(markup).not.toContain("<script>");
    expect(markup).toContain("&lt;script&gt;");
  });

  it("says so when the agent changed nothing, when only the rounds are known, and when nothing was recorded", () => {
    expect(diffSection({ gate, diff: "", roundDiffs: [] }).text).toContain("No files changed.");
    expect(diffSection({ gate, diff: null, roundDiffs: rounds }).text).toContain(
      "The run's whole change is not available",
    );
    expect(diffSection({ gate, diff: null, roundDiffs: [] }).text).toContain(
      "No diff was recorded for this run.",
    );
  });
});

describe("the DNS plan on a gate page", () => {
  const plan = (hostname: string) => ({
    zone: { id: "z1", name: "example.com" },
    accountId: "org",
    requestedHostname: "app.example.com",
    hostname,
    mode: "custom-domain",
    workerName: "w",
    changes: [
      {
        action: "create",
        key: `custom-domain:${hostname}`,
        before: null,
        after: { kind: "custom-domain", id: null, hostname, service: "w" },
      },
      {
        action: "update",
        key: "record:TXT:example.com",
        before: {
          kind: "record",
          id: "r1",
          type: "TXT",
          name: "example.com",
          content: "v=1",
          proxied: false,
          ttl: 1,
        },
        after: {
          kind: "record",
          id: "r1",
          type: "TXT",
          name: "example.com",
          content: "v=2",
          proxied: false,
          ttl: 1,
        },
      },
    ],
    findings:
      hostname === "app.example.com"
        ? []
        : [
            {
              code: "near_miss",
              hostname,
              message: `${hostname} is a near miss of app.example.com`,
              blocking: true,
            },
          ],
    blocked: hostname !== "app.example.com",
    readAt: 0,
  });

  it("flags a planned hostname that differs from the requested one, in red, as an alert", () => {
    const markup = dnsSection(plan("app.example.cc")).text;
    expect(markup).toMatch(/role="alert"/);
    expect(markup).toMatch(/class="mismatch-row"/);
    expect(markup).toMatch(
      /you asked for <code>app.example.com<\/code> but the plan changes <code>app.example.cc/,
    );
    expect(markup).toMatch(/near_miss<\/code>: app.example.cc is a near miss of app.example.com/);
  });

  it("shows each resource before and after, without an alert when the plan matches", () => {
    const markup = dnsSection(plan("app.example.com")).text;
    expect(markup).not.toMatch(/role="alert"/);
    expect(markup).toMatch(
      /<td><code>none<\/code><\/td><td class=""><code>custom domain app.example.com → Worker w<\/code>/,
    );
    expect(markup).toMatch(/TXT example.com → v=1<\/code><\/td><td class=""><code>TXT example.com → v=2/);
  });

  it("escapes what it shows, and says so when there is no plan", () => {
    expect(dnsSection(plan("<script>x</script>")).text).not.toMatch(/<script>/);
    expect(dnsSection(undefined).text).toMatch(/No DNS plan/);
  });
});
