/**
 * Signed links (`/inbox/l/<token>`): no sign-in, the link is the credential,
 * and it opens one gate to its holder, to decide once.
 */
import type { Hono } from "hono";
import { openLink } from "../gates/signed-links.ts";
import { loadGateView } from "../gates/view.ts";
import { getGate } from "../store/gates.ts";
import type { GateRow } from "../store/rows.ts";
import { releaseLink, useLink } from "../store/signed-links.ts";
import type { Principal } from "../web/roles.ts";
import { CSRF_FIELD, checkCsrf, csrfToken } from "./csrf.ts";
import { approvedBy, decideFromForm, decisionForm, incompleteForm } from "./decision-form.ts";
import { type C, type InboxEnv, sameOrigin, secretOf } from "./inbox-http.ts";
import { htmlResponse, messagePage } from "./layout.ts";
import { gatePage } from "./pages/gate.ts";

export function mountLinkRoutes(inbox: Hono<InboxEnv>, options: { now: () => number }): void {
  const { now } = options;

  // Signed links: no sign-in, the link is the credential (once).
  inbox.get("/l/:token", async (c) => {
    const opened = await openLink(c.env, c.req.param("token"), now());
    if (!opened.ok) return linkRefusal(opened.code, opened.message);
    const gate = await getGateById(c, opened.link.gate_id);
    if (!gate) return messagePage(404, "No such gate", "The gate behind this link no longer exists.");
    const holder = linkPrincipal(opened.link.issued_to, opened.link.id);
    const view = await loadGateView(c.env.DB, gate);
    const csrf = await csrfToken(secretOf(c), { identity: holder.identity, scope: opened.link.id }, now());
    return htmlResponse(
      gatePage(view, {
        principal: holder,
        now: now(),
        emulatorUrl: c.env.EMULATOR_URL,
        form: {
          action: `/inbox/l/${c.req.param("token")}`,
          csrf,
          refusal: null,
          approvedAlready: approvedBy(view, opened.link.issued_to),
        },
      }),
    );
  });

  inbox.post("/l/:token", async (c) => {
    if (!sameOrigin(c)) return messagePage(403, "Refused", "This form was posted from another site.");
    const opened = await openLink(c.env, c.req.param("token"), now());
    if (!opened.ok) return linkRefusal(opened.code, opened.message);
    const link = opened.link;
    const holder = linkPrincipal(link.issued_to, link.id);
    const form = decisionForm.safeParse(await c.req.parseBody());
    if (!form.success) return messagePage(400, "Bad form", "The form was incomplete; go back and try again.");
    const csrf = await checkCsrf(
      secretOf(c),
      form.data[CSRF_FIELD],
      { identity: holder.identity, scope: link.id },
      now(),
    );
    if (!csrf.ok) return messagePage(403, "Refused (CSRF)", csrf.message);
    // An incomplete form decides nothing, so it must not use the link up.
    const incomplete = incompleteForm(form.data, holder);
    if (incomplete) return incomplete;
    if (!(await useLink(c.env.DB, link.id, form.data.decision, now())))
      return linkRefusal("link_used", "This link was already used; a signed link decides once.");
    const gate = await getGateById(c, link.gate_id);
    if (!gate) return messagePage(404, "No such gate", "The gate behind this link no longer exists.");
    const response = await decideFromForm(c, now, {
      gate,
      principal: holder,
      // On a gate that needs two approvers, a link counts as the person it was issued to.
      person: link.issued_to,
      form: form.data,
      authorize: async (g) =>
        g.id === link.gate_id && g.kind !== "tos"
          ? null
          : { code: "forbidden", message: "this link does not open that gate" },
    });
    // A refusal that decided nothing (the page went stale, or this person approved already)
    // gives the link back, so its holder can review again.
    const refusal = response.status === 409 ? response.headers.get("x-nightshift-refusal") : null;
    if (refusal === "shown_changed" || refusal === "already_approved") await releaseLink(c.env.DB, link.id);
    return response;
  });
}

async function getGateById(c: C, id: string): Promise<GateRow | null> {
  return getGate(c.env.DB, id);
}

function linkPrincipal(issuedTo: string, linkId: string): Principal {
  return { identity: `${issuedTo} (signed link ${linkId})`, roles: ["approver"], via: "link" };
}

function linkRefusal(code: string, message: string): Response {
  const status = code === "link_used" || code === "link_expired" ? 410 : code === "unavailable" ? 503 : 403;
  const title =
    code === "link_used" ? "Link already used" : code === "link_expired" ? "Link expired" : "Link not valid";
  const response = messagePage(status, title, message);
  response.headers.set("x-nightshift-refusal", code);
  return response;
}
