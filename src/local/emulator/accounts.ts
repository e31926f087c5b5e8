/**
 * Account lifecycle: creating a temporary account, deleting it when its
 * lifetime passes (with its Workers and their data), creating a permanent
 * (organisation) account, and claiming a temporary account, which moves its
 * Workers either to a new permanent account or into an existing one (on
 * Cloudflare the person signs in and picks their account).
 */
import { join } from "node:path";
import type { Services } from "./context.ts";
import { collisions, mergeDir } from "./files.ts";
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

const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A workers.dev subdomain from a name (`Acme Corp` → `acme-corp`), made unique with `-2`, `-3`, … */
function subdomainFor(svc: Services, name: string): string {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 50) || "org";
  let candidate = base;
  for (let n = 2; svc.store.accountBySubdomain(candidate); n++) candidate = `${base}-${n}`;
  return candidate;
}

export class AccountInputError extends Error {
  override readonly name = "AccountInputError";
}

/** A permanent account (an organisation's own), with its own API token; it never expires. */
export function createPermanentAccount(
  svc: Services,
  input: { name: string; subdomain?: string | undefined },
): AccountRecord {
  let subdomain = input.subdomain?.toLowerCase();
  if (subdomain !== undefined) {
    if (!SUBDOMAIN.test(subdomain))
      throw new AccountInputError(
        `subdomain ${JSON.stringify(subdomain)} is not a valid workers.dev subdomain`,
      );
    if (svc.store.accountBySubdomain(subdomain))
      throw new AccountInputError(`subdomain ${subdomain} is already taken`);
  } else {
    subdomain = subdomainFor(svc, input.name);
  }
  const account: AccountRecord = {
    id: ids.hexId(),
    name: input.name,
    apiToken: ids.apiToken(),
    subdomain,
    createdAt: svc.now().toISOString(),
    expiresAt: null,
    temporary: false,
    claim: null,
  };
  svc.store.state.accounts[account.id] = account;
  svc.store.save();
  svc.log(`created permanent account ${account.id} "${account.name}" (${subdomain}.workers.dev)`);
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
  | { kind: "unknown" }
  /** The account picked to claim into cannot take these Workers; nothing moved. */
  | { kind: "refused"; status: 400 | 404; reason: string };

export function findClaim(svc: Services, token: string): AccountRecord | undefined {
  return Object.values(svc.store.state.accounts).find((a) => a.claim?.token === token);
}

/**
 * workerd keeps one `metadata.sqlite` (an alarms table) per Durable Object
 * namespace directory; Miniflare's KV, D1 and R2 objects set no alarms, so
 * the target's copy stands for both and the source's is dropped.
 */
const WORKERD_SHARED = /(^|\/)metadata\.sqlite(-wal|-shm)?$/;

/** The permanent account `toId` if the Workers of `from` can move into it, else why not. */
function claimTarget(
  svc: Services,
  from: AccountRecord,
  toId: string,
): { to: AccountRecord } | { status: 400 | 404; reason: string } {
  const to = svc.store.state.accounts[toId];
  if (!to) return { status: 404, reason: `there is no account ${toId}` };
  if (to.temporary)
    return { status: 400, reason: `account ${toId} is a temporary account; claim into a permanent one` };
  const taken = svc.store
    .scriptsOf(from.id)
    .filter((s) => svc.store.state.scripts[scriptKey(to.id, s.name)])
    .map((s) => s.name);
  if (taken.length)
    return { status: 400, reason: `account ${toId} already has Workers named ${taken.join(", ")}` };
  const databases = Object.values(svc.store.state.d1Databases);
  const d1Taken = databases
    .filter((d) => d.accountId === from.id)
    .filter((d) => databases.some((o) => o.accountId === to.id && o.name === d.name))
    .map((d) => d.name);
  if (d1Taken.length)
    return { status: 400, reason: `account ${toId} already has D1 databases named ${d1Taken.join(", ")}` };
  const clashes = ["scripts", "sites", "data"].flatMap((top) =>
    collisions(join(svc.store.dir, top, from.id), join(svc.store.dir, top, to.id))
      .filter((p) => !WORKERD_SHARED.test(p))
      .map((p) => `${top}/${p}`),
  );
  if (clashes.length)
    return {
      status: 400,
      reason: `account ${toId} already holds files of the same names: ${clashes.join(", ")}`,
    };
  return { to };
}

/**
 * Moves the temporary account's Workers (with their files, data, custom
 * domains, KV namespaces and zones) to a permanent account: `intoAccountId`
 * when given (an existing permanent account: the Workers take its workers.dev
 * subdomain), else a new one that keeps the temporary subdomain, so the URLs
 * stay the same.
 */
export async function claimAccount(
  svc: Services,
  token: string,
  options: { intoAccountId?: string | undefined } = {},
): Promise<ClaimOutcome> {
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
  let to: AccountRecord;
  if (options.intoAccountId) {
    const target = claimTarget(svc, from, options.intoAccountId);
    if (!("to" in target)) return { kind: "refused", ...target };
    to = target.to;
  } else {
    to = {
      id: ids.hexId(),
      name: from.name.replace(/^Preview Account/, "Claimed Account"),
      apiToken: ids.apiToken(),
      subdomain: from.subdomain, // the workers.dev URLs stay the same
      createdAt: svc.now().toISOString(),
      expiresAt: null,
      temporary: false,
      claim: null,
    };
  }
  const scripts = svc.store.scriptsOf(from.id);
  for (const script of scripts) await svc.host.stop(scriptKey(from.id, script.name));
  await Promise.all([svc.d1.closeAccount(from.id), svc.kv.closeAccount(from.id)]);
  for (const top of ["scripts", "assets", "sites", "data"])
    mergeDir(join(svc.store.dir, top, from.id), join(svc.store.dir, top, to.id));
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
  for (const table of [
    state.kvNamespaces,
    state.hyperdriveConfigs,
    state.mtlsCertificates,
    state.d1Databases,
  ])
    for (const row of Object.values(table)) if (row.accountId === from.id) row.accountId = to.id;
  for (const zone of Object.values(state.zones)) if (zone.accountId === from.id) zone.accountId = to.id;
  for (const queue of Object.values(state.queues)) if (queue.accountId === from.id) queue.accountId = to.id;
  delete state.accounts[from.id];
  // The temporary subdomain goes with the temporary account when the Workers join another one.
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
  svc.log(
    `claimed temporary account ${from.id} → ${options.intoAccountId ? "existing" : "new"} permanent account ${to.id} (${scripts.length} Workers)`,
  );
  return { kind: "claimed", account: to, scripts: scripts.map((s) => s.name) };
}
