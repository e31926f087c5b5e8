/**
 * The emulator's own endpoints under `/__emulator/`: health and terms open,
 * everything else behind the admin secret (dispatch.ts; issue 15: code in a
 * Sandbox must not make accounts, end them or inject faults): the request
 * log, zone seeding, an account view without tokens, organisation
 * (permanent) accounts, and fault injection. Not part of Cloudflare's API.
 */
import { z } from "zod";
import { AccountInputError, createPermanentAccount, expireDueAccounts } from "../accounts.ts";
import { type Handler, json, jsonBody, param } from "../context.ts";
import { CfApiError, CfCode, ok } from "../envelope.ts";
import { faultSpecSchema } from "../faults.ts";
import type { RequestLog } from "../request-log.ts";
import { zoneResult, seedZone } from "./zones.ts";

export const health: Handler = (_ctx, svc) =>
  json({
    ok: true,
    accounts: Object.keys(svc.store.state.accounts).length,
    workers: Object.keys(svc.store.state.scripts).length,
    running: svc.host.runningCount,
    apiBaseUrl: `${svc.baseUrl()}/client/v4`,
  });

/**
 * The emulator's own terms: what local mode's automatic sign-off points at
 * (see docs/api.md and docs/status.md, "Terms of service"). Not Cloudflare's terms.
 */
export const terms: Handler = () => ({
  status: 200,
  html:
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Emulator terms</title></head><body>' +
    "<h1>nightshift local Cloudflare API emulator: terms</h1>" +
    "<p>This is not Cloudflare. Temporary accounts here are local files on this machine; nothing is sent to Cloudflare " +
    "and no Cloudflare terms of service or privacy policy are accepted by deploying here.</p>" +
    '<h2 id="privacy">Privacy</h2><p>Requests are logged in memory on this machine (without bodies or tokens) for tests.</p>' +
    "</body></html>",
});

export function requestLogHandlers(log: RequestLog): { list: Handler; clear: Handler } {
  return {
    list: (ctx) => ({
      status: 200,
      json: log.list({
        since: ctx.query.get("since"),
        path: ctx.query.get("path"),
        method: ctx.query.get("method"),
        kind: ctx.query.get("kind"),
      }),
      headers: { "x-emulator-last-seq": String(log.lastSeq) },
    }),
    clear: () => {
      log.clear();
      return json({ ok: true });
    },
  };
}

export const seedZoneHandler: Handler = (ctx, svc) => {
  const body = jsonBody(
    ctx,
    z.object({ name: z.string().min(1), accountId: z.string().nullable().optional() }),
  );
  return json(ok(zoneResult(seedZone(svc, body.name, body.accountId ?? null))));
};

export const listAllZones: Handler = (_ctx, svc) =>
  json(ok(Object.values(svc.store.state.zones).map(zoneResult)));

export const listAccounts: Handler = (_ctx, svc) =>
  json(
    Object.values(svc.store.state.accounts).map((a) => ({
      id: a.id,
      name: a.name,
      subdomain: a.subdomain,
      temporary: a.temporary,
      expiresAt: a.expiresAt,
      workers: svc.store.scriptsOf(a.id).map((s) => s.name),
    })),
  );

/** Ends an account's lifetime now (then deletes it like the expiry sweep does). */
export const expireAccount: Handler = async (ctx, svc) => {
  const account = svc.store.state.accounts[param(ctx, "account")];
  if (!account?.temporary) throw new CfApiError(404, CfCode.authentication, "No such temporary account");
  account.expiresAt = svc.now().toISOString();
  if (account.claim) account.claim.expiresAt = account.expiresAt;
  return json({ expired: await expireDueAccounts(svc) });
};

/**
 * `POST /__emulator/accounts {name, subdomain?}`: a permanent account, as an
 * organisation's own Cloudflare account. The answer is the only place its API token is shown.
 */
export const createOrganisationAccount: Handler = (ctx, svc) => {
  const body = jsonBody(
    ctx,
    z.strictObject({ name: z.string().min(1).max(200), subdomain: z.string().min(1).optional() }),
  );
  try {
    const account = createPermanentAccount(svc, body);
    return json({
      id: account.id,
      name: account.name,
      apiToken: account.apiToken,
      subdomain: account.subdomain,
    });
  } catch (error) {
    if (error instanceof AccountInputError) throw new CfApiError(400, CfCode.invalidRequest, error.message);
    throw error;
  }
};

export const listFaults: Handler = (_ctx, svc) => json(svc.faults.list());

/** `POST /__emulator/faults`: see faults.ts for what each action does. */
export const addFault: Handler = (ctx, svc) => {
  const spec = jsonBody(ctx, faultSpecSchema);
  try {
    return json(svc.faults.add(spec));
  } catch (error) {
    throw new CfApiError(400, CfCode.invalidRequest, (error as Error).message);
  }
};

/** `DELETE /__emulator/faults`: removes every fault and drops the connections held by `hang`. */
export const clearFaults: Handler = (_ctx, svc) => json({ ok: true, dropped: svc.faults.clear() });
