/**
 * Grants on the local egress proxy (wire format: src/ports/egress-grants.ts).
 * The orchestrator, holding the admin secret, opens a grant for an upstream
 * and a token; anything under `/__grant/<id>/…` is then forwarded to that
 * upstream with `Authorization: Bearer <token>` instead of whatever the client
 * sent, until the grant is revoked or expires. Tokens stay in this process:
 * never in an answer, an error or the request log.
 *
 * A capturing grant (a `wrangler deploy --temporary` step) also takes the
 * temporary account wrangler provisions through it: the Sandbox gets the
 * answer with a placeholder token and claim URL, the grant keeps the real ones
 * and swaps the token in for `Bearer <placeholder>` only; the orchestrator reads
 * them once with the admin secret (`GET /__egress/grants/<id>`) before revoking.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { withCredential } from "../../ports/egress-routes.ts";
import {
  GRANT_PATH_PREFIX,
  GRANTS_PATH,
  type GrantCapture,
  type GrantRefusal,
  type GrantResponse,
  type GrantState,
  grantCaptureSchema,
  grantRequestSchema,
  PLACEHOLDER_CLAIM_URL,
  PROVISIONING_PATH,
} from "../../ports/egress-grants.ts";
import {
  type AnswerRewrite,
  DIRECT,
  type EgressLogEntry,
  forward,
  headerPairs,
  type Outbound,
  refuse,
} from "./forward.ts";

interface Grant {
  upstream: URL;
  /** null: a capturing grant that has captured nothing yet. */
  token: string | null;
  /** Only `Bearer <placeholder>` is replaced (null: any Authorization is). */
  placeholder: string | null;
  capture: boolean;
  captured: GrantCapture | null;
  /** The provisioning call's Idempotency-Key (null: the client's own, if any). */
  provisioningKey: string | null;
  expiresAt: number;
}

/**
 * The headers forwarded under a grant. With a placeholder, only that exact bearer value is
 * swapped for the token (dropped while there is none); other credentials pass as they are.
 */
function grantHeaders(req: IncomingMessage, grant: Grant): Array<[string, string]> {
  const pairs = headerPairs(req);
  if (grant.placeholder === null)
    return withCredential(pairs, { header: "authorization" }, grant.token ?? "");
  const out: Array<[string, string]> = [];
  for (const [name, value] of pairs) {
    if (name.toLowerCase() === "authorization" && value === `Bearer ${grant.placeholder}`) {
      if (grant.token) out.push([name, `Bearer ${grant.token}`]);
      continue;
    }
    out.push([name, value]);
  }
  return out;
}

/**
 * The rewrite of a provisioning answer under a capturing grant: the real token and claim URL
 * are kept in the grant, the Sandbox gets placeholders. A 2xx answer not of the documented
 * shape is refused (502): nothing unchecked reaches the Sandbox. Errors pass as they are.
 */
function captureInto(grant: Grant, placeholder: string): AnswerRewrite {
  return (status, body) => {
    if (status < 200 || status >= 300) return body;
    let answer: { result?: { account?: Record<string, unknown>; claim?: Record<string, unknown> } };
    try {
      answer = JSON.parse(body.toString("utf8"));
    } catch {
      return null;
    }
    const parsed = grantCaptureSchema.safeParse(answer?.result);
    if (!parsed.success || !answer.result?.account || !answer.result.claim) return null;
    grant.captured = parsed.data;
    grant.token = parsed.data.account.apiToken;
    answer.result.account.apiToken = placeholder;
    answer.result.claim.url = PLACEHOLDER_CLAIM_URL;
    return Buffer.from(JSON.stringify(answer));
  };
}

/** Ended grants are remembered a while so a late caller learns why it was refused. */
const ENDED_MEMORY = 1_000;

export interface GrantsOptions {
  /** How forwarded calls go out (the host's upstream proxy, its CAs). */
  outbound?: Outbound;
  /** Bearer secret of the admin API; without one, every admin request is 401. */
  adminSecret?: string;
  now: () => number;
  /** The proxy's own URL, for `baseUrl`. */
  publicUrl: () => string;
  /** Logs an entry; the answer it belongs to tells when its outcome is final. */
  record: (entry: EgressLogEntry, answer: ServerResponse) => EgressLogEntry;
}

/** A grant id shortened for logs: enough to correlate, too little to use. */
const shortId = (id: string) => `${id.slice(0, 6)}…`;

const digest = (text: string) => createHash("sha256").update(text).digest();

export function createGrants(options: GrantsOptions) {
  const grants = new Map<string, Grant>();
  /** Grant ids by the key they were opened with (see `key` in src/ports/egress-grants.ts). */
  const byKey = new Map<string, string>();
  const ended = new Map<string, "grant_revoked" | "grant_expired">();
  const expected = options.adminSecret ? digest(`Bearer ${options.adminSecret}`) : null;

  const end = (id: string, why: "grant_revoked" | "grant_expired") => {
    grants.delete(id);
    for (const [key, value] of byKey) if (value === id) byKey.delete(key);
    ended.set(id, why);
    if (ended.size > ENDED_MEMORY) ended.delete(ended.keys().next().value!);
  };

  const authorized = (req: IncomingMessage) =>
    expected !== null && timingSafeEqual(digest(req.headers.authorization ?? ""), expected);

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) throw new Error("body too large");
      chunks.push(chunk as Buffer);
    }
    return JSON.parse(Buffer.concat(chunks).toString() || "null");
  }

  /** `POST /__egress/grants`, `DELETE /__egress/grants/<id>`. */
  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const entry = options.record(
      { kind: "admin", target: `${req.method} ${GRANTS_PATH}`, allowed: false, status: null },
      res,
    );
    const fail = (status: number, code: GrantRefusal | "not_found", message: string) => {
      entry.status = status;
      entry.reason = code;
      refuse(res, status, message, code);
    };
    if (!authorized(req)) {
      req.resume();
      return fail(401, "unauthorized", "the grant API needs the proxy's admin secret as a bearer token");
    }
    entry.allowed = true;
    if (req.method === "POST" && path === GRANTS_PATH) {
      const parsed = grantRequestSchema.safeParse(await readJson(req).catch(() => undefined));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        // The issue's path and message only: never the received value (it may be the token).
        return fail(400, "invalid_grant_request", `${issue?.path.join(".") || "body"}: ${issue?.message}`);
      }
      const { upstream, token, ttlMs, placeholder, capture, provisioningKey, key } = parsed.data;
      const known = key === undefined ? undefined : byKey.get(key);
      const existing = known === undefined ? undefined : grants.get(known);
      if (known !== undefined && existing && existing.expiresAt > options.now()) {
        // The same step again (its first run was cut off): the grant its command still uses.
        entry.target = `reopen grant ${shortId(known)} → ${existing.upstream.host}`;
        entry.status = 200;
        const again: GrantResponse = {
          id: known,
          baseUrl: `${options.publicUrl()}${GRANT_PATH_PREFIX}${known}`,
          expiresAt: existing.expiresAt,
        };
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(again));
        return;
      }
      const id = randomBytes(24).toString("base64url");
      const grant: Grant = {
        upstream: new URL(upstream),
        token: token ?? null,
        placeholder: placeholder ?? null,
        capture: capture === true,
        captured: null,
        provisioningKey: provisioningKey ?? null,
        expiresAt: options.now() + ttlMs,
      };
      grants.set(id, grant);
      if (key !== undefined) byKey.set(key, id);
      entry.target = `open grant ${shortId(id)} → ${grant.upstream.host}`;
      entry.status = 201;
      const body: GrantResponse = {
        id,
        baseUrl: `${options.publicUrl()}${GRANT_PATH_PREFIX}${id}`,
        expiresAt: grant.expiresAt,
      };
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
      return;
    }
    req.resume();
    const match = /^\/__egress\/grants\/([A-Za-z0-9_-]+)$/.exec(path);
    if (req.method === "GET" && match) {
      const id = match[1]!;
      entry.target = `read grant ${shortId(id)}`;
      const grant = grants.get(id);
      if (!grant || grant.expiresAt <= options.now())
        return fail(404, "not_found", "no such grant (unknown, expired or revoked)");
      entry.status = 200;
      const state: GrantState = { id, expiresAt: grant.expiresAt, captured: grant.captured };
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(state));
      return;
    }
    if (req.method === "DELETE" && match) {
      const id = match[1]!;
      entry.target = `revoke grant ${shortId(id)}`;
      if (!grants.has(id)) return fail(404, "not_found", "no such grant (unknown, expired or revoked)");
      end(id, "grant_revoked");
      entry.status = 204;
      res.writeHead(204).end();
      return;
    }
    fail(404, "not_found", `no admin endpoint ${req.method} ${path}`);
  }

  /** `ANY /__grant/<id>/<rest>`: forwarded with the grant's token, or 403. */
  function use(req: IncomingMessage, res: ServerResponse, raw: string) {
    const [pathPart = "", query = ""] = raw.split(/\?(.*)/s, 2);
    const rest = pathPart.slice(GRANT_PATH_PREFIX.length);
    const slash = rest.indexOf("/");
    const id = slash === -1 ? rest : rest.slice(0, slash);
    const tail = slash === -1 ? "" : rest.slice(slash);
    const entry = options.record(
      { kind: "grant", target: `grant ${shortId(id)}`, allowed: false, status: null },
      res,
    );
    const deny = (code: GrantRefusal, message: string) => {
      entry.status = 403;
      entry.reason = code;
      req.resume();
      refuse(res, 403, message, code);
    };
    let grant = grants.get(id);
    if (grant && grant.expiresAt <= options.now()) {
      end(id, "grant_expired");
      grant = undefined;
    }
    if (!grant) {
      const why = ended.get(id) ?? "grant_unknown";
      return deny(why, `${why.replace("grant_", "this grant is ")}: no upstream is reachable through it`);
    }
    const base = grant.upstream.pathname.replace(/\/+$/, "");
    const target = new URL(`${grant.upstream.origin}${base}${tail}${query ? `?${query}` : ""}`);
    // `..` (plain or percent-encoded) is resolved by the URL parser: the result must stay under the base.
    if (
      target.origin !== grant.upstream.origin ||
      !(target.pathname === base || target.pathname.startsWith(`${base}/`))
    )
      return deny("grant_unknown", "the path leaves the grant's upstream");
    entry.allowed = true;
    entry.target = `grant ${shortId(id)} → ${grant.upstream.host}`;
    // Whatever credential the client sent (a placeholder) is dropped and the grant's token added;
    // with a placeholder, only that one is (see grantHeaders).
    let headers = grantHeaders(req, grant);
    let rewrite: AnswerRewrite | undefined;
    if (
      grant.capture &&
      grant.placeholder &&
      req.method === "POST" &&
      target.pathname === `${base}${PROVISIONING_PATH}`
    ) {
      rewrite = captureInto(grant, grant.placeholder);
      // The answer is read whole: it must come back unencoded. A lost answer's account comes
      // back to the next try under the same key (src/ports/egress-grants.ts).
      const key = grant.provisioningKey;
      headers = headers.filter(
        ([name]) =>
          name.toLowerCase() !== "accept-encoding" &&
          (key === null || name.toLowerCase() !== "idempotency-key"),
      );
      if (key !== null) headers.push(["idempotency-key", key]);
    }
    forward(req, res, target, headers, entry, options.outbound ?? DIRECT, rewrite);
  }

  return {
    /** Whether this module answers the path. */
    handles: (path: string) =>
      path === GRANTS_PATH || path.startsWith(`${GRANTS_PATH}/`) || path.startsWith(GRANT_PATH_PREFIX),
    handle(req: IncomingMessage, res: ServerResponse, raw: string) {
      const path = raw.split("?")[0] ?? "/";
      if (path.startsWith(GRANT_PATH_PREFIX)) return use(req, res, raw);
      admin(req, res, path).catch((error: unknown) => {
        if (!res.headersSent) refuse(res, 500, `grant API failed: ${(error as Error).message}`);
      });
    },
    /** How many grants are open now (expired ones are dropped as they are seen). */
    open: () => [...grants.values()].filter((g) => g.expiresAt > options.now()).length,
  };
}
