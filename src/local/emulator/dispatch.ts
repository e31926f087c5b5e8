/**
 * From a request to an answer for everything that is not a Worker: the
 * Cloudflare API (auth, idempotency keys, error envelopes), the claim page
 * and the admin API. Unknown endpoints answer Cloudflare's 404 (code 7003)
 * and are logged loudly.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { AuthMode, Handler, Reply, RequestContext, RouteValue, Services } from "./context.ts";
import { CfApiError, CfCode, failure } from "./envelope.ts";
import type { Fault } from "./faults.ts";
import * as admin from "./handlers/admin.ts";
import { postClaim, showClaim } from "./handlers/claim.ts";
import { deliverQueueBatch } from "./handlers/queue-delivery.ts";
import { fireScheduled } from "./handlers/schedules.ts";
import { unsupportedRoute } from "./handlers/unsupported.ts";
import type { RequestKind, RequestLog } from "./request-log.ts";
import { type RouteEntry, route } from "./router.ts";
import { apiRoutes } from "./routes.ts";
import type { AccountRecord } from "./state.ts";

const API_PREFIX = "/client/v4";
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;

export interface Incoming {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Outgoing {
  kind: RequestKind;
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

function adminRoutes(log: RequestLog): RouteEntry<RouteValue>[] {
  const requests = admin.requestLogHandlers(log);
  const r = (method: string, pattern: string, handler: Handler, auth: AuthMode = "admin") => ({
    method,
    pattern,
    value: { auth, handler },
  });
  // Open: what real Cloudflare shows anyone (terms; the claim page, reached by a person with the
  // claim URL) and a health line that tells nothing a caller could use. The rest, which can make
  // accounts, end them, inject faults and read the request log, needs the admin secret.
  return [
    r("GET", "/__emulator/health", admin.health, "none"),
    r("GET", "/__emulator/terms", admin.terms, "none"),
    r("GET", "/__emulator/requests", requests.list),
    r("DELETE", "/__emulator/requests", requests.clear),
    r("GET", "/__emulator/zones", admin.listAllZones),
    r("POST", "/__emulator/zones", admin.seedZoneHandler),
    r("GET", "/__emulator/accounts", admin.listAccounts),
    r("POST", "/__emulator/accounts", admin.createOrganisationAccount),
    r("POST", "/__emulator/accounts/:account/expire", admin.expireAccount),
    r("GET", "/__emulator/faults", admin.listFaults),
    r("POST", "/__emulator/faults", admin.addFault),
    r("DELETE", "/__emulator/faults", admin.clearFaults),
    r("POST", "/__emulator/workers/:host/scheduled", fireScheduled),
    // Its own token (the queue's delivery token), checked by the handler: not the admin secret.
    r("POST", "/__emulator/queue-delivery/:account/:queue", deliverQueueBatch, "none"),
    r("GET", "/claim/:token", showClaim, "none"),
    r("POST", "/claim/:token", postClaim, "none"),
  ] satisfies RouteEntry<RouteValue>[];
}

const ADMIN_REFUSED =
  "The emulator's admin API needs its admin secret: Authorization: Bearer <secret> (Emulator.adminSecret, or the file `nightshift emulator` names)";

function bearerOf(headers: IncomingHttpHeaders): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "");
  return m ? m[1]!.trim() : null;
}

/** Resolves the caller's account for `auth`; throws Cloudflare's 10000 when the token is missing, unknown or expired. */
function authenticate(
  svc: Services,
  auth: AuthMode,
  bearer: string | null,
  params: Record<string, string>,
  authorization: string | undefined,
): AccountRecord | null {
  if (auth === "none" || auth === "assets") return null;
  if (auth === "admin") {
    if (!svc.isAdmin(authorization)) throw new CfApiError(401, CfCode.authentication, ADMIN_REFUSED);
    return null;
  }
  const account = bearer ? svc.store.accountByToken(bearer) : undefined;
  if (!account) throw new CfApiError(401, CfCode.authentication, "Authentication error");
  if (auth === "account" && params.account !== account.id)
    throw new CfApiError(403, CfCode.authentication, "Authentication error");
  return account;
}

function render(kind: RequestKind, reply: Reply, extra: Record<string, string> = {}): Outgoing {
  if ("html" in reply) {
    return {
      kind,
      status: reply.status,
      headers: { "content-type": "text/html; charset=utf-8", ...reply.headers, ...extra },
      body: reply.html,
    };
  }
  if ("bytes" in reply) {
    return {
      kind,
      status: reply.status,
      headers: { "content-type": "application/octet-stream", ...reply.headers, ...extra },
      body: reply.bytes,
    };
  }
  return {
    kind,
    status: reply.status,
    headers: { "content-type": "application/json", ...reply.headers, ...extra },
    body: JSON.stringify(reply.json),
  };
}

function pruneIdempotency(svc: Services): void {
  const cutoff = svc.now().getTime() - IDEMPOTENCY_TTL_MS;
  for (const [key, rec] of Object.entries(svc.store.state.idempotency))
    if (Date.parse(rec.at) < cutoff) delete svc.store.state.idempotency[key];
}

/** Runs the handler, honouring an `Idempotency-Key`: the same key (per account, method and path) replays the first answer. */
async function runIdempotent(
  ctx: RequestContext,
  svc: Services,
  handler: Handler,
): Promise<{ reply: Reply; replayed: boolean }> {
  const raw = ctx.headers["idempotency-key"];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!key || ctx.method === "GET") return { reply: await handler(ctx, svc), replayed: false };
  const scope = `${ctx.account?.id ?? "-"} ${ctx.method} ${ctx.path} ${key}`;
  const seen = svc.store.state.idempotency[scope];
  if (seen) return { reply: { status: seen.status, json: seen.body }, replayed: true };
  const reply = await handler(ctx, svc);
  if ("json" in reply && reply.status < 500) {
    pruneIdempotency(svc);
    svc.store.state.idempotency[scope] = {
      scope,
      status: reply.status,
      body: reply.json,
      at: svc.now().toISOString(),
    };
    svc.store.save();
  }
  return { reply, replayed: false };
}

const isApiPath = (pathname: string) => pathname === API_PREFIX || pathname.startsWith(`${API_PREFIX}/`);

/** What a non-Worker request is, by its path: the Cloudflare API, a claim page, or the admin API. */
export function requestKind(pathname: string): RequestKind {
  return isApiPath(pathname) ? "api" : pathname.startsWith("/claim/") ? "claim" : "admin";
}

/** The answer an injected `status` fault gives instead of handling the request. */
export function faultReply(kind: RequestKind, fault: Fault): Outgoing {
  const status = fault.status ?? 500;
  return render(kind, {
    status,
    json: failure(fault.code ?? 10002, fault.message ?? `Injected fault: HTTP ${status}`),
  });
}

export async function dispatch(svc: Services, log: RequestLog, incoming: Incoming): Promise<Outgoing> {
  const { method, url } = incoming;
  const isApi = isApiPath(url.pathname);
  const path = isApi ? url.pathname.slice(API_PREFIX.length) || "/" : url.pathname;
  const kind = requestKind(url.pathname);
  const routed = route(isApi ? apiRoutes : adminRoutes(log), method, path);
  // A resource temporary accounts lack answers "not available", not a routing 404.
  const fallback = routed.kind === "match" || !isApi ? null : unsupportedRoute(path);
  const found = fallback ? ({ kind: "match", match: fallback } as const) : routed;
  if (found.kind !== "match") {
    const known = found.kind === "method-not-allowed";
    const message = known
      ? `Method ${method} not allowed for ${path}`
      : `Could not route to ${path}, perhaps your object identifier is invalid?`;
    console.warn(
      `[emulator] UNHANDLED ${method} ${url.pathname}${url.search} — ${known ? "method not allowed" : "no such endpoint"} (answered 404/405 with a Cloudflare error)`,
    );
    return render(kind, {
      status: known ? 405 : 404,
      json: failure(known ? CfCode.methodNotAllowed : CfCode.routeNotFound, message),
    });
  }
  const { value, params } = found.match;
  const bearer = bearerOf(incoming.headers);
  try {
    const ctx: RequestContext = {
      method,
      path,
      params,
      query: url.searchParams,
      headers: incoming.headers,
      body: incoming.body,
      account: authenticate(svc, value.auth, bearer, params, incoming.headers.authorization),
      bearer,
    };
    const { reply, replayed } = await runIdempotent(ctx, svc, value.handler);
    return render(kind, reply, replayed ? { "idempotent-replayed": "true" } : {});
  } catch (error) {
    if (error instanceof CfApiError) return render(kind, { status: error.status, json: error.toEnvelope() });
    console.error(`[emulator] ${method} ${url.pathname} failed`, error);
    return render(kind, { status: 500, json: failure(10002, `Internal error: ${String(error)}`) });
  }
}
