/**
 * Outages are held, not failed: which errors count as one, and that every step that talks to
 * the Sandbox host, the egress proxy or the Cloudflare API retries for minutes before giving up.
 */
import { describe, expect, it } from "vitest";
import { WORK_EFFECTS } from "../../src/loop/effects.ts";
import { EgressProxyUnavailable } from "../../src/adapters/egress/grants.ts";
import { SandboxError } from "../../src/ports/sandbox.ts";
import { abortFaultOf, outageOf } from "../../src/run/outages.ts";
import { type StepPolicy, stepPolicy } from "../../src/run/step-policy.ts";

/** How long a step's retries wait in all before it gives up (Workflows' backoff). */
function retryWaitMs(policy: StepPolicy): number {
  const { limit, delay, backoff } = policy.retries;
  let total = 0;
  for (let n = 0; n < limit; n++)
    total += backoff === "exponential" ? delay * 2 ** n : backoff === "linear" ? delay * (n + 1) : delay;
  return total;
}

describe("outages", () => {
  it("names what is not answering, and nothing for a fault of the run itself", () => {
    expect(outageOf(new SandboxError("unavailable", "Sandbox host unreachable"))).toBe("the Sandbox host");
    expect(outageOf(new SandboxError("interrupted", "dropped"))).toBe("the Sandbox host");
    expect(outageOf(new EgressProxyUnavailable("egress proxy unreachable: fetch failed"))).toBe(
      "the egress proxy",
    );
    expect(outageOf(new SandboxError("not_found", "no such file"))).toBeNull();
    expect(outageOf(new SandboxError("quota_exceeded", "disk quota exceeded"))).toBeNull();
    expect(outageOf(new Error("a bug"))).toBeNull();
  });

  it("holds every step that needs the Sandbox, the proxy or the API for at least ten minutes", () => {
    for (const kind of WORK_EFFECTS)
      expect(retryWaitMs(stepPolicy(kind)), kind).toBeGreaterThanOrEqual(10 * 60_000);
    // The gate bookkeeping steps touch D1 only and stay short.
    expect(retryWaitMs(stepPolicy("gate"))).toBeLessThan(60_000);
  });

  it("says what ended a run: an outage (resumable), a broken invariant (not), anything else", () => {
    const away = new Error("Sandbox host unreachable");
    expect(abortFaultOf(away, { step: "deploy#1", on: "the Sandbox host", invariant: false })).toEqual({
      code: "outage",
      message: "Sandbox host unreachable",
      on: "the Sandbox host",
    });
    // The error that crossed the engine lost its class; Workflows' own name for it did not.
    const fatal = new Error('Step threw a NonRetryableError with message "no gate row"');
    expect(abortFaultOf(fatal, null).code).toBe("invariant_broken");
    expect(abortFaultOf(new Error("x"), { step: "applyDns#1", on: null, invariant: true }).code).toBe(
      "invariant_broken",
    );
    // A step replayed from the engine's record leaves no view of its own: a workflow error.
    expect(abortFaultOf(away, null)).toMatchObject({ code: "workflow_error", on: null });
    expect(abortFaultOf("thrown text", null)).toMatchObject({
      code: "workflow_error",
      message: "thrown text",
    });
  });
});
