/**
 * Who may do what: roles, the authenticated principal, and the pure rule for
 * deciding a gate. No I/O: the API resolves the principal (see `auth.ts`) and
 * asks these functions.
 *
 * - viewer reads; approver decides `claim`/`dns` gates whose policy names it;
 *   legal decides `tos` (and only legal does); admin manages tokens and people
 *   and counts as an approver, never as legal.
 * - A gate's policy (`job.gates[kind].approvers`, stored on the gate row) lists
 *   roles or identities (emails); a principal must match one of them.
 * - The run's own automation (system, sweeper, run ids) never decides.
 */
import { z } from "zod";
import { type Role, roleSchema } from "../store/people.ts";

export { ROLES, type Role } from "../store/people.ts";
export const rolesSchema = z.array(roleSchema).min(1);

export type AuthVia = "bootstrap" | "token" | "access" | "link";

export interface Principal {
  /** Who acts: an email, a token's identity, or `admin` for the bootstrap token. */
  identity: string;
  roles: readonly Role[];
  via: AuthVia;
  /** The personal token's id, when authenticated by one. */
  tokenId?: string;
}

/**
 * Identities the run's own automation writes under (audit actors, sign-offs):
 * `system`, `sweeper`, `scheduler`, `webhook:<source>` (src/api/webhooks.ts),
 * `nightshift` (a job pausing itself) and `nightshift (local mode, automatic)`
 * (the local automatic signer, src/run/signoff.ts), run ids as `run:<id>`.
 * No token, person or `by` field may take one (issue 15, item 7).
 */
const AUTOMATION = /^(system|sweeper|api|automation|scheduler|nightshift|webhook|run)([:\s(].*)?$/i;

export function isAutomationIdentity(identity: string): boolean {
  return AUTOMATION.test(identity.trim());
}

/**
 * Whether `granter` may hand `roles` to a token or person. `legal` comes only
 * from configuration (the bootstrap token) or from a principal that holds it:
 * an admin cannot mint itself, a token or a person the legal sign-off.
 */
export function mayGrant(granter: Pick<Principal, "roles">, roles: readonly Role[]): Verdict {
  if (roles.includes("legal") && !hasRole(granter, "legal"))
    return { ok: false, message: "only a principal holding the legal role may grant it" };
  return { ok: true };
}

export function hasRole(principal: Pick<Principal, "roles">, ...wanted: Role[]): boolean {
  return wanted.some((role) => principal.roles.includes(role));
}

/** May read runs, gates and events: any role at all. */
export function canView(principal: Pick<Principal, "roles">): boolean {
  return principal.roles.length > 0;
}

/** Starting and cancelling runs: approvers and admins. */
export function canOperate(principal: Pick<Principal, "roles">): boolean {
  return hasRole(principal, "approver", "admin");
}

export type Verdict = { ok: true } | { ok: false; message: string };

/**
 * Whether `principal` may approve or reject a gate of `kind` whose policy
 * lists `approvers` (role names or identities), for the run `runId`.
 *
 * @example
 * mayDecide({ identity: "ann@example.com", roles: ["approver"], via: "access" },
 *   { kind: "claim", approvers: ["approver"], runId: "r1" }) // { ok: true }
 */
export function mayDecide(
  principal: Principal,
  gate: { kind: string; approvers: readonly string[]; runId: string },
): Verdict {
  const who = principal.identity;
  if (isAutomationIdentity(who) || who === gate.runId)
    return { ok: false, message: `"${who}" is automation; automation never decides a gate` };
  if (gate.kind === "tos") {
    return hasRole(principal, "legal")
      ? { ok: true }
      : { ok: false, message: "the tos gate is a legal sign-off: it needs the legal role" };
  }
  const roles = new Set<string>(principal.roles);
  if (roles.has("admin")) roles.add("approver");
  const allowed = gate.approvers.some(
    (entry) => roles.has(entry) || entry.toLowerCase() === who.toLowerCase(),
  );
  if (allowed) return { ok: true };
  return {
    ok: false,
    message: `${who} (${principal.roles.join(", ") || "no roles"}) may not decide a ${gate.kind} gate; it needs one of: ${gate.approvers.join(", ")}`,
  };
}
