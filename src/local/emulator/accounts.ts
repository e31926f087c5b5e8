/**
 * Account lifecycle: creating a temporary account, deleting it when its
 * lifetime passes (with its Workers and their data), and claiming it, which
 * moves its Workers to a new permanent account that never expires.
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Services } from "./context.ts";
import * as ids from "./ids.ts";
import type { AccountRecord } from "./state.ts";
import { scriptKey } from "./state.ts";

export function isExpired(account: AccountRecord, now: Date): boolean {
  return account.expiresAt !== null && Date.parse(account.expiresAt) <= now.getTime();
}

export function claimUrl(svc: Services, token: string): string {
  return `${svc.baseUrl()}/claim/${token}`;
}

export function createTemporaryAccount(svc: Services): AccountRecord {
  const now = svc.now();
  const expiresAt = new Date(now.getTime() + svc.config.accountLifetimeMs).toISOString();
  let subdomain = ids.subdomainName();
  while (svc.store.accountBySubdomain(subdomain)) subdomain = ids.subdomainName();
  const account: AccountRecord = {
    id: ids.hexId(),
    name: ids.accountName(),
    apiToken: ids.apiToken(),
    subdomain,
    createdAt: now.toISOString(),
    expiresAt,
    temporary: true,
    // The claim link lives as long as the account: there is nothing to claim after.
    claim: { token: ids.claimToken(), expiresAt },
  };
  svc.store.state.accounts[account.id] = account;
  svc.store.save();
  svc.log(
    `provisioned temporary account ${account.id} (${account.subdomain}.workers.dev), expires ${expiresAt}`,
  );
  return account;
}

/** Deletes every temporary account whose lifetime has passed; returns their ids. */
export async function expireDueAccounts(svc: Services): Promise<string[]> {
  const now = svc.now();
  const due = Object.values(svc.store.state.accounts).filter((a) => isExpired(a, now));
  for (const account of due) {
    if (account.claim) {
      svc.store.state.claimed[account.claim.token] = {
        token: account.claim.token,
        outcome: "expired",
        fromAccountId: account.id,
        toAccountId: null,
        at: now.toISOString(),
        scripts: svc.store.scriptsOf(account.id).map((s) => s.name),
      };
    }
    await svc.deleteAccount(account.id);
    svc.log(`temporary account ${account.id} expired: deleted with its Workers and data`);
  }
  return due.map((a) => a.id);
}

export type ClaimOutcome =
  | { kind: "claimed"; account: AccountRecord; scripts: string[] }
  | { kind: "already-claimed"; at: string }
  | { kind: "expired"; at: string }
  | { kind: "unknown" };

export function findClaim(svc: Services, token: string): AccountRecord | undefined {
  return Object.values(svc.store.state.accounts).find((a) => a.claim?.token === token);
}

/** Moves the temporary account's Workers (and their files and data) to a new permanent account. */
export async function claimAccount(svc: Services, token: string): Promise<ClaimOutcome> {
  const { state } = svc.store;
  const used = state.claimed[token];
  if (used)
    return used.outcome === "claimed"
      ? { kind: "already-claimed", at: used.at }
      : { kind: "expired", at: used.at };
  const from = findClaim(svc, token);
  if (!from) return { kind: "unknown" };
  if (isExpired(from, svc.now())) {
    await expireDueAccounts(svc);
    return { kind: "expired", at: svc.now().toISOString() };
  }
  const to: AccountRecord = {
    id: ids.hexId(),
    name: from.name.replace(/^Preview Account/, "Claimed Account"),
    apiToken: ids.apiToken(),
    subdomain: from.subdomain, // the workers.dev URLs stay the same
    createdAt: svc.now().toISOString(),
    expiresAt: null,
    temporary: false,
    claim: null,
  };
  const scripts = svc.store.scriptsOf(from.id);
  for (const script of scripts) await svc.host.stop(scriptKey(from.id, script.name));
  for (const top of ["scripts", "assets", "sites", "data"]) {
    const src = join(svc.store.dir, top, from.id);
    const dst = join(svc.store.dir, top, to.id);
    if (!existsSync(src)) continue;
    mkdirSync(dirname(dst), { recursive: true });
    renameSync(src, dst);
  }
  for (const script of scripts) {
    delete state.scripts[scriptKey(from.id, script.name)];
    script.accountId = to.id;
    for (const version of script.versions) {
      for (const mod of version.modules)
        mod.file = mod.file.replace(`scripts/${from.id}/`, `scripts/${to.id}/`);
    }
    state.scripts[scriptKey(to.id, script.name)] = script;
  }
  for (const domain of Object.values(state.customDomains))
    if (domain.accountId === from.id) domain.accountId = to.id;
  for (const ns of Object.values(state.kvNamespaces)) if (ns.accountId === from.id) ns.accountId = to.id;
  for (const zone of Object.values(state.zones)) if (zone.accountId === from.id) zone.accountId = to.id;
  delete state.accounts[from.id];
  state.accounts[to.id] = to;
  state.claimed[token] = {
    token,
    outcome: "claimed",
    fromAccountId: from.id,
    toAccountId: to.id,
    at: svc.now().toISOString(),
    scripts: scripts.map((s) => s.name),
  };
  svc.store.save();
  svc.log(`claimed temporary account ${from.id} → permanent account ${to.id} (${scripts.length} Workers)`);
  return { kind: "claimed", account: to, scripts: scripts.map((s) => s.name) };
}
