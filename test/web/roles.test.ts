/** The pure rule for who may decide a gate. */
import { describe, expect, it } from "vitest";
import { mayDecide, type Principal } from "../../src/web/roles.ts";

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
