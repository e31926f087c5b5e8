import { describe, expect, it } from "vitest";
import { gateEventType, idempotencyKey } from "../../src/ports/vocabulary.ts";
import { stepName } from "../../src/loop/step-names.ts";

describe("step names", () => {
  it("are kind#seq with an optional phase", () => {
    expect(stepName({ kind: "deploy", seq: 3 })).toBe("deploy#3");
    expect(stepName({ kind: "gate:claim", seq: 1 }, "open")).toBe("gate:claim#1/open");
  });
  it("refuse sequence numbers below 1", () => {
    expect(() => stepName({ kind: "write", seq: 0 })).toThrow(/bad effect sequence/);
  });
  it("make gate event types Workflows accepts", () => {
    expect(gateEventType("claim", 2)).toMatch(/^[a-zA-Z0-9_][a-zA-Z0-9-_]*$/);
  });
  it("make idempotency keys runId:stepName", () => {
    expect(idempotencyKey("run-1", stepName({ kind: "deploy", seq: 2 }))).toBe("run-1:deploy#2");
  });
});
