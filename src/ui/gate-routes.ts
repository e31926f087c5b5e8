/**
 * One gate in the inbox, for a signed-in person: its page with the decision
 * form, and deciding it from that form (CSRF token and view hash checked).
 */
import type { Hono } from "hono";
import { findGate } from "../gates/decide.ts";
import { loadGateView } from "../gates/view.ts";
import { CSRF_FIELD, checkCsrf, csrfToken } from "./csrf.ts";
import { approvedBy, decideFromForm, decisionForm, verdictFor } from "./decision-form.ts";
import { type InboxEnv, sameOrigin, secretOf } from "./inbox-http.ts";
import { htmlResponse, messagePage } from "./layout.ts";
import { gatePage } from "./pages/gate.ts";

export function mountGateRoutes(inbox: Hono<InboxEnv>, options: { now: () => number }): void {
  const { now } = options;

  inbox.get("/runs/:id/gates/:ref", async (c) => {
    const principal = c.get("principal");
    const gate = await findGate(c.env.DB, c.req.param("id"), c.req.param("ref"));
    if (!gate)
      return messagePage(
        404,
        "No such gate",
        `Run ${c.req.param("id")} has no gate "${c.req.param("ref")}".`,
        principal,
      );
    const view = await loadGateView(c.env.DB, gate);
    const verdict = verdictFor(principal, gate);
    const csrf = await csrfToken(secretOf(c), { identity: principal.identity, scope: gate.id }, now());
    return htmlResponse(
      gatePage(view, {
        principal,
        now: now(),
        emulatorUrl: c.env.EMULATOR_URL,
        form: {
          action: `/inbox/runs/${gate.run_id}/gates/${gate.kind}-${gate.seq}`,
          csrf,
          refusal: verdict.ok ? null : verdict.message,
          approvedAlready: approvedBy(view, principal.identity),
        },
      }),
    );
  });

  inbox.post("/runs/:id/gates/:ref", async (c) => {
    const principal = c.get("principal");
    if (!sameOrigin(c))
      return messagePage(403, "Refused", "This form was posted from another site.", principal);
    const gate = await findGate(c.env.DB, c.req.param("id"), c.req.param("ref"));
    if (!gate) return messagePage(404, "No such gate", "That gate does not exist.", principal);
    const form = decisionForm.safeParse(await c.req.parseBody());
    if (!form.success)
      return messagePage(400, "Bad form", "The form was incomplete; go back and try again.", principal);
    const csrf = await checkCsrf(
      secretOf(c),
      form.data[CSRF_FIELD],
      { identity: principal.identity, scope: gate.id },
      now(),
    );
    if (!csrf.ok) return messagePage(403, "Refused (CSRF)", csrf.message, principal);
    return decideFromForm(c, now, {
      gate,
      principal,
      form: form.data,
      authorize: async (g) => {
        const verdict = verdictFor(principal, g);
        return verdict.ok ? null : { code: "forbidden", message: verdict.message };
      },
    });
  });
}
