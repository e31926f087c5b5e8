/**
 * The approvals inbox, served by the Worker under `/inbox`: server-rendered
 * pages (gates, runs, jobs, one run's live timeline, one gate) and the decision
 * forms. Sign-in is Cloudflare Access (header) or an API token kept in an
 * HttpOnly, SameSite=Strict cookie; forms carry a CSRF token and the view hash.
 * Signed links (`/inbox/l/<token>`) open one gate to their holder, once.
 */
import { Hono } from "hono";
import type { JobRegistry } from "../jobs/registry.ts";
import { resolvePrincipal } from "../web/auth.ts";
import { canView } from "../web/roles.ts";
import { CSS, SCRIPT } from "./assets.ts";
import { mountGateRoutes } from "./gate-routes.ts";
import { type InboxEnv, safeNext } from "./inbox-http.ts";
import { htmlResponse, messagePage } from "./layout.ts";
import { mountJobsRoutes } from "./jobs-routes.ts";
import { mountLinkRoutes } from "./link-routes.ts";
import { mountListRoutes } from "./list-routes.ts";
import { signInPage } from "./pages/sign-in.ts";
import { mountRunRoutes } from "./run-routes.ts";
import { mountSignInRoutes } from "./sign-in-routes.ts";

export function createInbox(options: { now: () => number; registry: JobRegistry }) {
  const { now } = options;
  const inbox = new Hono<InboxEnv>();

  inbox.get("/app.css", () => new Response(CSS, { headers: { "content-type": "text/css; charset=utf-8" } }));
  inbox.get(
    "/app.js",
    () => new Response(SCRIPT, { headers: { "content-type": "text/javascript; charset=utf-8" } }),
  );

  mountSignInRoutes(inbox, { now });
  mountLinkRoutes(inbox, { now });

  // Everything else needs a signed-in person with a role.
  inbox.use("*", async (c, next) => {
    const resolved = await resolvePrincipal(c, now(), { cookie: true });
    if (!resolved.ok) {
      if (c.req.method === "GET" && !c.req.path.endsWith(".json"))
        return htmlResponse(signInPage({ next: safeNext(c.req.path), message: resolved.message }), 401);
      return messagePage(401, "Not signed in", resolved.message);
    }
    if (!canView(resolved.principal))
      return messagePage(403, "No access", `${resolved.principal.identity} has no role here; ask an admin.`);
    c.set("principal", resolved.principal);
    await next();
  });

  mountListRoutes(inbox, { now });
  mountJobsRoutes(inbox, { now, registry: options.registry });
  mountRunRoutes(inbox, { now, registry: options.registry });
  mountGateRoutes(inbox, { now });

  return inbox;
}
