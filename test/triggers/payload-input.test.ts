/** From a payload to a run's input, and the job-file shapes that declare it. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildRegistry } from "../../src/jobs/registry.ts";
import { plainJob, plainTrigger } from "../../src/jobs/plain.ts";
import type { WebhookTrigger } from "../../src/jobs/schema.ts";
import { webhookInput } from "../../src/triggers/payload-input.ts";

const delivery = { source: "github", event: "pull_request", deliveryId: "d-1" };
const trigger = (extra: Partial<WebhookTrigger> = {}): WebhookTrigger => ({
  kind: "webhook",
  source: "github",
  ...extra,
});

describe("webhookInput", () => {
  it("wraps the payload with the delivery when the job declares no mapping", () => {
    expect(webhookInput(trigger(), { a: 1 }, delivery)).toEqual({
      ok: true,
      value: { webhook: delivery, payload: { a: 1 } },
    });
  });

  it("keeps what the schema yields (unknown keys dropped), then applies map", () => {
    const input = z.object({ number: z.number() });
    expect(webhookInput(trigger({ input }), { number: 7, huge: "x".repeat(10) }, delivery)).toEqual({
      ok: true,
      value: { number: 7 },
    });
    const map = (p: { number: number }, d: { deliveryId: string }) => ({ pr: p.number, d: d.deliveryId });
    expect(webhookInput(trigger({ input, map }), { number: 7 }, delivery)).toEqual({
      ok: true,
      value: { pr: 7, d: "d-1" },
    });
  });

  it("names the path of a payload that does not fit", () => {
    const input = z.object({ pull_request: z.object({ number: z.number() }) });
    const result = webhookInput(trigger({ input }), { pull_request: { number: "7" } }, delivery);
    expect(result).toMatchObject({
      ok: false,
      error: { code: "invalid_payload", path: "body.pull_request.number" },
    });
  });

  it("turns a map that throws into an expected failure", () => {
    const map = () => {
      throw new Error("no branch in this payload");
    };
    expect(webhookInput(trigger({ map }), {}, delivery)).toMatchObject({
      ok: false,
      error: { path: "body", message: expect.stringContaining("no branch") },
    });
  });
});

describe("job file: triggers", () => {
  const base = {
    name: "hooked",
    source: { kind: "directory", path: "p" },
    agent: { adapter: "fake", instructions: "x" },
    deploy: { workerName: "w" },
    verify: { probes: [{ path: "/" }] },
  };
  const problems = (extra: Record<string, unknown>) =>
    buildRegistry([{ file: "workflows/hooked.ts", definition: { ...base, ...extra } }]).problems.map(
      (p) => `${p.path}: ${p.message}`,
    );

  it("defaults to concurrency skip and pausing after 3 failures", () => {
    const job = buildRegistry([{ file: "workflows/hooked.ts", definition: base }]).jobs.get("hooked")!;
    expect([job.concurrency, job.pauseAfterFailures]).toEqual(["skip", 3]);
  });

  it("refuses an input that is not a zod schema, a map that is not a function, a bad policy", () => {
    expect(problems({ triggers: [{ kind: "webhook", source: "acme", input: { type: "string" } }] })).toEqual([
      "triggers.0.input: a zod schema",
    ]);
    expect(problems({ triggers: [{ kind: "webhook", source: "acme", map: "payload.data" }] })[0]).toMatch(
      /^triggers\.0\.map: /,
    );
    expect(problems({ concurrency: "parallel" })[0]).toMatch(/^concurrency: /);
  });

  it("refuses GitHub-only filters on other sources", () => {
    expect(problems({ triggers: [{ kind: "webhook", source: "acme", filter: { branch: "main" } }] })).toEqual(
      [
        'triggers.0.filter.branch: only "github" deliveries carry branch; other sources filter on event (the payload\'s type)',
      ],
    );
    expect(
      problems({ triggers: [{ kind: "webhook", source: "github", filter: { branch: "main" } }] }),
    ).toEqual([]);
  });

  it("leaves no code in the job a run is created with, and marks it in the API view", () => {
    const definition = {
      ...base,
      triggers: [{ kind: "webhook", source: "acme", input: z.object({}), map: () => ({}) }],
    };
    const job = buildRegistry([{ file: "workflows/hooked.ts", definition }]).jobs.get("hooked")!;
    expect(plainJob(job).triggers).toEqual([{ kind: "webhook", source: "acme" }]);
    expect(() => structuredClone(plainJob(job))).not.toThrow();
    expect(plainTrigger(job.triggers[0]!)).toEqual({ kind: "webhook", source: "acme", mapsInput: true });
  });
});
