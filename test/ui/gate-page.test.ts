/** The DNS plan on a gate page: the mismatch flag, each resource before and after, escaping. */
import { describe, expect, it } from "vitest";
import { dnsSection } from "../../src/ui/pages/gate.ts";

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
