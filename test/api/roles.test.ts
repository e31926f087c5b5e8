/** The pure rule for who may decide a gate, and the DNS plan's mismatch flag on the gate page. */
import { describe, expect, it } from "vitest";
import { mayDecide, type Principal } from "../../src/api/roles.ts";
import { dnsSection } from "../../src/ui/pages/gate.ts";

const person = (roles: Principal["roles"], identity = "ann@example.com"): Principal => ({
  identity,
  roles,
  via: "token",
});
const gate = (kind: string, approvers: string[] = ["approver"]) => ({ kind, approvers, runId: "run-1" });

describe("mayDecide", () => {
  it.each([
    ["an approver, a claim gate", person(["approver"]), gate("claim"), true],
    ["an admin, a dns gate", person(["admin"]), gate("dns"), true],
    ["a viewer, a claim gate", person(["viewer"]), gate("claim"), false],
    ["legal, a claim gate", person(["legal"]), gate("claim"), false],
    ["legal, the tos gate", person(["legal"]), gate("tos", ["legal"]), true],
    ["an admin, the tos gate", person(["admin", "approver"]), gate("tos", ["legal"]), false],
    [
      "an approver, a tos gate whose policy lists approver",
      person(["approver"]),
      gate("tos", ["approver"]),
      false,
    ],
    [
      "a person named in the policy",
      person(["viewer"], "bob@example.com"),
      gate("dns", ["bob@example.com"]),
      true,
    ],
    ["the sweeper with every role", person(["admin", "approver", "legal"], "sweeper"), gate("claim"), false],
    ["the run itself", person(["approver"], "run-1"), gate("claim"), false],
  ])("%s → %s", (_what, who, g, allowed) => {
    expect(mayDecide(who, g).ok).toBe(allowed);
  });
});

describe("the DNS plan on a gate page", () => {
  const plan = {
    zone: "example.com",
    requestedHostname: "app.example.com",
    mode: "custom-domain",
    workerName: "w",
  };

  it("flags a planned hostname that differs from the requested one, in red, as an alert", () => {
    const markup = dnsSection({ ...plan, hostname: "app.example.cc", mismatch: true }).text;
    expect(markup).toMatch(/role="alert"/);
    expect(markup).toMatch(/class="mismatch"/);
    expect(markup).toMatch(
      /you asked for <code>app.example.com<\/code> but the plan changes <code>app.example.cc/,
    );
  });

  it("shows a matching plan without an alert", () => {
    const markup = dnsSection({ ...plan, hostname: "app.example.com", mismatch: false }).text;
    expect(markup).not.toMatch(/role="alert"/);
    expect(markup).toMatch(/app.example.com<\/code> → Worker <code>w/);
  });

  it("escapes what it shows", () => {
    expect(dnsSection({ ...plan, hostname: "<script>x</script>" }).text).not.toMatch(/<script>/);
  });
});
