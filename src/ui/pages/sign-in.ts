/** Sign in with an API token (local mode and anyone not behind Cloudflare Access). */
import { type Html, html } from "../html.ts";
import { page } from "../layout.ts";

export function signInPage(options: { message?: string; next: string }): Html {
  const body = html`${options.message ? html`<div class="notice error" role="alert">${options.message}</div>` : ""}
<p>Behind Cloudflare Access you are signed in automatically. Otherwise paste a personal API token (<code>nightshift token create</code>) or the operator's token.</p>
<form method="post" action="/inbox/sign-in">
<input type="hidden" name="next" value="${options.next}">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<div><button type="submit">Sign in</button></div>
</form>`;
  return page({ title: "Sign in", body });
}
