/** Run ids derived from triggers: deterministic, distinct per trigger, always valid run ids. */
import { describe, expect, it } from "vitest";
import { runIdSchema } from "../../src/jobs/run-params.ts";
import { minuteStamp, scheduleRunId, webhookRunId } from "../../src/triggers/run-ids.ts";

const LONGEST_JOB = `a${"b".repeat(62)}`;

describe("run ids", () => {
  it("names a cron tick by job and UTC minute, whatever the seconds", async () => {
    expect(await scheduleRunId("nightly-bump", Date.parse("2026-08-22T02:00:17.250Z"))).toBe(
      "nightly-bump-202608220200",
    );
    expect(await scheduleRunId("nightly-bump", Date.parse("2026-08-22T02:00:59Z"))).toBe(
      await scheduleRunId("nightly-bump", Date.parse("2026-08-22T02:00:00Z")),
    );
    expect(minuteStamp(Date.parse("2026-12-31T23:59:59Z"))).toBe("202612312359");
  });

  it("names a webhook delivery by job, source and delivery id", async () => {
    const a = await webhookRunId("gh-push", "github", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    expect(a).toMatch(/^gh-push-w[0-9a-f]{20}$/);
    expect(await webhookRunId("gh-push", "github", "72d3162e-cc78-11e3-81ab-4c9367dc0958")).toBe(a);
    expect(await webhookRunId("gh-push", "github", "another")).not.toBe(a);
    expect(await webhookRunId("gh-push", "acme", "72d3162e-cc78-11e3-81ab-4c9367dc0958")).not.toBe(a);
    expect(await webhookRunId("gh-labeled", "github", "72d3162e-cc78-11e3-81ab-4c9367dc0958")).not.toBe(a);
  });

  it("keeps ids valid and distinct for the longest job names", async () => {
    const ids = [
      await scheduleRunId(LONGEST_JOB, 0),
      await scheduleRunId(`${LONGEST_JOB.slice(0, 62)}c`, 0),
      await webhookRunId(LONGEST_JOB, "github", "Delivery/With Odd Characters!"),
    ];
    for (const id of ids) expect(runIdSchema.safeParse(id).success, id).toBe(true);
    expect(ids[0]).not.toBe(ids[1]);
  });
});
