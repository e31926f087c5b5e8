/**
 * The inbox's decision form: its fields, and deciding a gate from it (through
 * `src/gates/decide.ts`), refusing when what the page showed has changed since.
 * A refusal is a message page whose `x-nightshift-refusal` header names why.
 */
import { z } from "zod";
import { decide } from "../gates/decide.ts";
import { type GateView, loadGateView } from "../gates/view.ts";
import type { GateRow } from "../store/rows.ts";
import { mayDecide, type Principal } from "../web/roles.ts";
import { CSRF_FIELD } from "./csrf.ts";
import type { C } from "./inbox-http.ts";
import { messagePage } from "./layout.ts";

export const decisionForm = z.object({
  decision: z.enum(["approve", "reject"]),
  reason: z.string().max(2_000).default(""),
  [CSRF_FIELD]: z.string().optional(),
  viewHash: z.string().default(""),
});

export function verdictFor(principal: Principal, gate: GateRow) {
  return mayDecide(principal, { kind: gate.kind, approvers: gate.approvers_json, runId: gate.run_id });
}

/** Whether this person approved already (a gate that needs two approvers): they may still reject. */
export function approvedBy(view: GateView, person: string): boolean {
  return view.approvals.some((a) => a.approver === person);
}

/**
 * The refusal for a form that cannot decide as filled in (a rejection without a reason), before
 * anything is spent on it: a signed link checks this before it is used up.
 */
export function incompleteForm(form: z.output<typeof decisionForm>, principal: Principal): Response | null {
  if (form.decision !== "reject" || form.reason.trim()) return null;
  const response = messagePage(
    400,
    "A reason is needed",
    "A rejection needs a reason. Go back and write one.",
    principal,
  );
  response.headers.set("x-nightshift-refusal", "reason_required");
  return response;
}

export async function decideFromForm(
  c: C,
  now: () => number,
  request: {
    gate: GateRow;
    principal: Principal;
    person?: string;
    form: z.output<typeof decisionForm>;
    authorize: Parameters<typeof decide>[1]["authorize"];
  },
): Promise<Response> {
  const { gate, principal, form } = request;
  const reason = form.reason.trim();
  const incomplete = incompleteForm(form, principal);
  if (incomplete) return incomplete;
  const result = await decide(c.env, {
    runId: gate.run_id,
    gateRef: `${gate.kind}-${gate.seq}`,
    decision: form.decision === "approve" ? "approved" : "rejected",
    by: principal.identity,
    ...(request.person ? { person: request.person } : {}),
    reason: reason || null,
    shownHash: null,
    at: now(),
    via: principal.via,
    authorize: request.authorize,
    // The page's view hash covers the gate's shown hash and the artifacts it displayed.
    check: async (g) => {
      const current = await loadGateView(c.env.DB, g);
      return current.viewHash === form.viewHash
        ? null
        : {
            code: "shown_changed",
            message:
              "What this gate rests on changed after the page was shown to you (the verification report, the diff or the gate itself). Nothing was decided. Review the gate again.",
          };
    },
  });
  if (result.ok && !result.decided) {
    const count = result.approvals ? `${result.approvals.by.length} of ${result.approvals.required}` : "";
    const note = `approval ${count} of the ${result.gate.kind} gate by ${principal.identity}`;
    return c.redirect(`/inbox/runs/${gate.run_id}?recorded=${encodeURIComponent(note)}`, 303);
  }
  if (result.ok) {
    const note = `${result.gate.kind} gate ${form.decision === "approve" ? "approved" : "rejected"} by ${principal.identity}`;
    return c.redirect(`/inbox/runs/${gate.run_id}?decided=${encodeURIComponent(note)}`, 303);
  }
  const status = result.code === "not_found" ? 404 : result.code === "forbidden" ? 403 : 409;
  const title =
    result.code === "shown_changed"
      ? "Refused: the gate changed"
      : result.code === "gate_not_pending"
        ? "Already decided"
        : result.code === "already_approved"
          ? "You approved this gate already"
          : result.code === "forbidden"
            ? "Not allowed"
            : "Not found";
  const response = messagePage(status, title, result.message, principal);
  response.headers.set("x-nightshift-refusal", result.code);
  return response;
}
