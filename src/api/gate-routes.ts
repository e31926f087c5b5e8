/**
 * Gates over the API: the gate list, approving or rejecting one (by the gate's
 * approvers, `mayDecide`), and handing out a signed link to decide it.
 */
import { GATE_STATUSES } from "../ports/vocabulary.ts";
import type { Hono } from "hono";
import { z } from "zod";
import { decide, findGate } from "../gates/decide.ts";
import { DEFAULT_LINK_TTL_MS, issueLink } from "../gates/signed-links.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import { listApprovals, listGates } from "../store/gates.ts";
import { getRun } from "../store/runs.ts";
import type { AppEnv } from "../web/auth.ts";
import { ApiError } from "../web/errors.ts";
import { isAutomationIdentity, mayDecide } from "../web/roles.ts";
import { claimVisibility } from "./claim-visibility.ts";
import { deciderOf } from "./decider.ts";
import { jsonBody, query } from "./validate.ts";
import { gateView } from "./views.ts";

const decisionBody = z.strictObject({
  by: z.string().min(1).max(200).optional(),
  reason: z.string().max(2_000).optional(),
  shownHash: z.string().min(1).optional(),
});
const rejectBody = decisionBody.extend({
  reason: z.string().min(1, "a rejection needs a reason").max(2_000),
});
const linkBody = z.strictObject({
  to: z.string().min(1).max(200).optional(),
  ttlSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .optional(),
});

export function mountGateRoutes(
  app: Hono<AppEnv>,
  options: { registry: JobRegistry; now: () => number },
): void {
  const { now } = options;
  const { gateVisibility } = claimVisibility(options.registry);

  app.get("/api/gates", async (c) => {
    const q = query(
      c,
      z.strictObject({
        status: z.enum(GATE_STATUSES).optional(),
      }),
    );
    const principal = c.get("principal");
    return c.json({
      gates: (await listGates(c.env.DB, q)).map((g) => gateView(g, [], gateVisibility(principal, g))),
    });
  });

  for (const decision of ["approve", "reject"] as const) {
    app.post(`/api/runs/:id/gates/:gate/${decision}`, async (c) => {
      const runId = c.req.param("id");
      if (!(await getRun(c.env.DB, runId))) throw new ApiError("not_found", `no run "${runId}"`, "id");
      const body = await jsonBody(c, decision === "approve" ? decisionBody : rejectBody);
      const principal = deciderOf(c.get("principal"), body.by);
      const result = await decide(c.env, {
        runId,
        gateRef: c.req.param("gate"),
        decision: decision === "approve" ? "approved" : "rejected",
        by: principal.identity,
        reason: body.reason ?? null,
        shownHash: body.shownHash ?? null,
        at: now(),
        via: principal.via,
        authorize: async (gate) => {
          const verdict = mayDecide(principal, {
            kind: gate.kind,
            approvers: gate.approvers_json,
            runId: gate.run_id,
          });
          return verdict.ok ? null : { code: "forbidden", message: verdict.message };
        },
      });
      if (!result.ok) {
        // The gate as it is, approvals so far included: a refusal must not show a half-approved gate as unapproved.
        const gate =
          "gate" in result
            ? {
                gate: gateView(
                  result.gate,
                  await listApprovals(c.env.DB, result.gate.id),
                  gateVisibility(principal, result.gate),
                ),
              }
            : {};
        const approvals = "approvals" in result ? { approvals: result.approvals } : {};
        throw new ApiError(result.code, result.message, result.code === "not_found" ? "gate" : undefined, {
          ...gate,
          ...approvals,
        });
      }
      const approvals = result.approvals ? { approvals: result.approvals } : {};
      const gate = gateView(
        result.gate,
        await listApprovals(c.env.DB, result.gate.id),
        gateVisibility(principal, result.gate),
      );
      // 202: the approval is on record, and the gate waits for a second, different approver.
      return c.json({ gate, delivered: result.delivered, ...approvals }, result.decided ? 200 : 202);
    });
  }

  app.post("/api/runs/:id/gates/:gate/links", async (c) => {
    const runId = c.req.param("id");
    const body = await jsonBody(c, linkBody);
    const principal = c.get("principal");
    const gate = await findGate(c.env.DB, runId, c.req.param("gate"));
    if (!gate) throw new ApiError("not_found", `run ${runId} has no gate "${c.req.param("gate")}"`, "gate");
    const verdict = mayDecide(principal, { kind: gate.kind, approvers: gate.approvers_json, runId });
    if (!verdict.ok) throw new ApiError("forbidden", `cannot hand out a link to decide: ${verdict.message}`);
    if (gate.status !== "pending")
      throw new ApiError("gate_not_pending", `gate ${gate.kind}-${gate.seq} is already ${gate.status}`);
    if (body.to !== undefined && isAutomationIdentity(body.to))
      throw new ApiError("forbidden", `"${body.to}" is reserved for automation`, "body.to");
    const issued = await issueLink(c.env, {
      gate,
      issuedTo: body.to ?? principal.identity,
      issuedBy: principal.identity,
      ttlMs: (body.ttlSeconds ?? DEFAULT_LINK_TTL_MS / 1000) * 1000,
      now: now(),
    });
    if (!issued.ok) throw new ApiError(issued.code, issued.message);
    const base = c.env.NIGHTSHIFT_PUBLIC_URL ?? new URL(c.req.url).origin;
    return c.json(
      { url: `${base}${issued.path}`, id: issued.link.id, expiresAt: issued.link.expires_at },
      201,
    );
  });
}
