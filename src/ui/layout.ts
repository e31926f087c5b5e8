/** The page shell: header, navigation, who is signed in. Accessible and phone-readable. */
import type { Principal } from "../web/roles.ts";
import { Html, html, type Renderable } from "./html.ts";

export interface PageOptions {
  title: string;
  principal?: Principal | null;
  body: Renderable;
}

export function page(options: PageOptions): Html {
  const who = options.principal;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · nightshift</title>
<link rel="stylesheet" href="/inbox/app.css">
<script src="/inbox/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <strong>nightshift</strong>
  <nav aria-label="Inbox">
    <a href="/inbox">Gates</a><a href="/inbox/runs">Runs</a><a href="/inbox/jobs">Jobs</a>
  </nav>
  ${
    who
      ? html`<span class="who">${who.identity} · ${who.roles.join(", ") || "no roles"}${
          who.via !== "link" && who.via !== "access" ? html` · <a href="/inbox/sign-out">sign out</a>` : ""
        }</span>`
      : ""
  }
</header>
<main id="main">
<h1>${options.title}</h1>
${options.body}
</main>
</body>
</html>`;
}

/** A page with a status code: errors and refusals say what happened and what to do. */
export function messagePage(
  status: number,
  title: string,
  message: Renderable,
  principal?: Principal | null,
): Response {
  const body = html`<div class="notice error" role="alert"><p>${message}</p></div>
<p><a href="/inbox">Back to the inbox</a></p>`;
  return htmlResponse(page({ title, principal: principal ?? null, body }), status);
}

export function htmlResponse(markup: Html, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(markup.text, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy":
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
      ...headers,
    },
  });
}

export { Html };
