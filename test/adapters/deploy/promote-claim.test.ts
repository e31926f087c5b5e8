/** What an approved claim means, from what nightshift can see of it (pure). */
import { describe, expect, it } from "vitest";
import { decide } from "../../../src/adapters/deploy/promote-claim.ts";

describe("deciding whether an approved claim happened", () => {
  it.each([
    // page, in the organisation, window open, organisation configured → decision
    ["unclaimed", null, true, false, "pending"],
    ["claimed", null, true, false, "done"],
    ["expired", null, true, false, "expired"],
    ["unclaimed", null, false, false, "expired"],
    ["unknown", null, true, false, "done"],
    ["unknown", null, true, true, "pending"],
    ["unknown", "https://w.org.workers.dev", true, true, "done"],
    ["claimed", null, true, true, "pending"],
    ["unknown", null, false, true, "expired"],
    ["expired", "https://w.org.workers.dev", false, true, "done"],
  ] as const)(
    "page %s, organisation %s, window open %s, organisation configured %s → %s",
    (page, org, open, canSee, kind) => {
      expect(decide(page, org, open, canSee).kind).toBe(kind);
    },
  );

  it("says in words when the approval is all there is to go on", () => {
    expect(decide("unknown", null, true, false).how).toMatch(/approver's confirmation/);
  });
});
