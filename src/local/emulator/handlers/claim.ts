/**
 * The claim page a temporary account's claim URL opens. GET shows what would
 * be claimed; POST (the form, standing in for signing in) claims it once.
 * Used links answer 409, expired ones 410, unknown ones 404.
 */
import { claimAccount, findClaim, isExpired } from "../accounts.ts";
import { type Handler, param, type Reply } from "../context.ts";
import { workersDevHostname } from "../workers-dev.ts";

const esc = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function page(status: number, title: string, body: string): Reply {
  return {
    status,
    html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`,
  };
}

export const showClaim: Handler = (ctx, svc) => {
  const token = param(ctx, "token");
  const used = svc.store.state.claimed[token];
  if (used?.outcome === "claimed")
    return page(409, "Already claimed", `<p>This account was claimed on ${esc(used.at)}.</p>`);
  const account = findClaim(svc, token);
  if (used?.outcome === "expired" || (account && isExpired(account, svc.now()))) {
    return page(
      410,
      "Claim link expired",
      "<p>This temporary account has expired; its Workers were deleted.</p>",
    );
  }
  if (!account) return page(404, "Unknown claim link", "<p>No temporary account has this claim link.</p>");
  const scripts = svc.store.scriptsOf(account.id);
  const items = scripts
    .map(
      (s) =>
        `<li data-worker="${esc(s.name)}">${esc(s.name)} — https://${esc(workersDevHostname(s.name, account.subdomain))}</li>`,
    )
    .join("");
  return page(
    200,
    "Claim your temporary account",
    `<p>Account <strong>${esc(account.name)}</strong> (${esc(account.id)}) expires at ${esc(account.expiresAt ?? "never")}.</p>` +
      `<p>Claiming moves these Workers to a permanent account:</p><ul>${items || "<li>(no Workers yet)</li>"}</ul>` +
      `<form method="post"><button type="submit">Sign in and claim</button></form>`,
  );
};

export const postClaim: Handler = async (ctx, svc) => {
  const outcome = await claimAccount(svc, param(ctx, "token"));
  switch (outcome.kind) {
    case "claimed":
      return page(
        200,
        "Account claimed",
        `<p>Workers moved to permanent account <strong data-account-id="${esc(outcome.account.id)}">${esc(outcome.account.id)}</strong>: ${outcome.scripts.map(esc).join(", ") || "none"}.</p>`,
      );
    case "already-claimed":
      return page(409, "Already claimed", `<p>This account was claimed on ${esc(outcome.at)}.</p>`);
    case "expired":
      return page(
        410,
        "Claim link expired",
        "<p>This temporary account has expired; its Workers were deleted.</p>",
      );
    case "unknown":
      return page(404, "Unknown claim link", "<p>No temporary account has this claim link.</p>");
  }
};
