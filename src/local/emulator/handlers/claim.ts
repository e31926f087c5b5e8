/**
 * The claim page a temporary account's claim URL opens. GET shows what would
 * be claimed; POST (the form, standing in for signing in) claims it once:
 * into a new permanent account, or, with `account=<id>` (form field or
 * query), into that existing permanent account, as a person who signs in and
 * picks their account does on Cloudflare. Used links answer 409, expired ones
 * 410, unknown ones 404; an account that cannot take the Workers 404 (no such
 * account) or 400 (temporary, or a Worker of the same name already there).
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

/** A used link: when it was claimed, machine-readable too (nightshift tells a claim before approval by it). */
function alreadyClaimed(at: string): Reply {
  return page(
    409,
    "Already claimed",
    `<p>This account was claimed on <time datetime="${esc(at)}" data-claimed-at="${esc(at)}">${esc(at)}</time>.</p>`,
  );
}

export const showClaim: Handler = (ctx, svc) => {
  const token = param(ctx, "token");
  const used = svc.store.state.claimed[token];
  if (used?.outcome === "claimed") return alreadyClaimed(used.at);
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
      `<form method="post"><label>Claim into account (id; empty: a new account) <input name="account"></label> ` +
      `<button type="submit">Sign in and claim</button></form>`,
  );
};

/** The account to claim into: the form field `account`, else the query's `account`, else none. */
function targetAccount(ctx: Parameters<Handler>[0]): string | undefined {
  const type = String(ctx.headers["content-type"] ?? "");
  const form = type.includes("application/x-www-form-urlencoded")
    ? new URLSearchParams(ctx.body.toString("utf8")).get("account")
    : null;
  const chosen = (form ?? ctx.query.get("account") ?? "").trim();
  return chosen || undefined;
}

export const postClaim: Handler = async (ctx, svc) => {
  const outcome = await claimAccount(svc, param(ctx, "token"), { intoAccountId: targetAccount(ctx) });
  switch (outcome.kind) {
    case "claimed": {
      const { account } = outcome;
      const items = outcome.scripts
        .map(
          (s) =>
            `<li data-worker="${esc(s)}" data-worker-url="https://${esc(workersDevHostname(s, account.subdomain))}">${esc(s)}</li>`,
        )
        .join("");
      return page(
        200,
        "Account claimed",
        `<p>Workers moved to permanent account <strong data-account-id="${esc(account.id)}">${esc(account.id)}</strong>: ${outcome.scripts.map(esc).join(", ") || "none"}.</p>` +
          `<ul>${items}</ul>`,
      );
    }
    case "already-claimed":
      return alreadyClaimed(outcome.at);
    case "expired":
      return page(
        410,
        "Claim link expired",
        "<p>This temporary account has expired; its Workers were deleted.</p>",
      );
    case "unknown":
      return page(404, "Unknown claim link", "<p>No temporary account has this claim link.</p>");
    case "refused":
      return page(
        outcome.status,
        "Cannot claim into that account",
        `<p>${esc(outcome.reason)}. Nothing was moved.</p>`,
      );
  }
};
