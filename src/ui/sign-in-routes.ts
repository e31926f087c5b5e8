/**
 * Signing in to the inbox with an API token (kept in an HttpOnly,
 * SameSite=Strict cookie) and signing out.
 */
import type { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { principalForSecret, SESSION_COOKIE } from "../web/auth.ts";
import { type InboxEnv, safeNext, sameOrigin } from "./inbox-http.ts";
import { htmlResponse, messagePage } from "./layout.ts";
import { signInPage } from "./pages/sign-in.ts";

export function mountSignInRoutes(inbox: Hono<InboxEnv>, options: { now: () => number }): void {
  const { now } = options;

  inbox.get("/sign-in", (c) => htmlResponse(signInPage({ next: safeNext(c.req.query("next")) }), 200));
  inbox.post("/sign-in", async (c) => {
    if (!sameOrigin(c)) return messagePage(403, "Refused", "This form was posted from another site.");
    const form = await c.req.parseBody();
    const token = typeof form.token === "string" ? form.token.trim() : "";
    const next = safeNext(typeof form.next === "string" ? form.next : undefined);
    const resolved = token ? await principalForSecret(c.env, token, now()) : null;
    if (!resolved?.ok)
      return htmlResponse(
        signInPage({ next, message: "That token is not valid (unknown, revoked or expired)." }),
        401,
      );
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: "Strict",
      secure: new URL(c.req.url).protocol === "https:",
      path: "/",
      maxAge: 7 * 86_400,
    });
    return c.redirect(next, 303);
  });
  inbox.get("/sign-out", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/inbox/sign-in", 303);
  });
}
