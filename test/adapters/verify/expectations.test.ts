/** The pure judging of a response, in workerd where the Worker runs it (JSON Schema via zod included). */
import { describe, expect, it } from "vitest";
import { unmet } from "../../../src/adapters/verify/expectations.ts";
import { probeSchema } from "../../../src/jobs/schema.ts";

const response = (body: string, status = 200) => ({ status, headers: {}, body, durationMs: 5 });

describe("expectations in workerd", () => {
  it("checks JSON against a schema", () => {
    const probe = probeSchema.parse({
      path: "/",
      expect: { json: { type: "object", required: ["count"], properties: { count: { type: "integer" } } } },
    });
    expect(unmet(probe, response('{"count":2}'))).toBeNull();
    expect(unmet(probe, response('{"count":"2"}'))).toMatchObject({
      actual: expect.stringMatching(/^count: /),
    });
    expect(unmet(probe, response("{}"))).not.toBeNull();
  });
  it("enforces required names that have no property schema (the example job's probe)", () => {
    const probe = probeSchema.parse({
      path: "/count",
      expect: { json: { type: "object", required: ["count"] } },
    });
    expect(unmet(probe, response('{"visits":2}'))).toMatchObject({
      actual: expect.stringMatching(/^count: /),
    });
    expect(unmet(probe, response('{"count":2}'))).toBeNull();
  });
  it("checks status first", () => {
    expect(unmet(probeSchema.parse({ path: "/" }), response("x", 500))).toEqual({
      expected: "status 200",
      actual: "status 500",
    });
  });
});
