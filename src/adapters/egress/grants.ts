/**
 * The orchestrator's client for egress-proxy grants (see grant-api.ts): open a
 * grant so one step's Sandbox can call an upstream with a token it never
 * holds, revoke it when the step is done. Worker-safe (fetch only).
 *
 * Expected outcomes are values (the proxy is not configured, or refused the
 * request); transient faults (proxy unreachable, 5xx, a malformed answer)
 * throw `EgressProxyUnavailable` so a step retries them.
 */
import { OutageError } from "../../ports/outage.ts";
import { err, ok, type Result } from "../../ports/result.ts";
import {
  type GrantCapture,
  GRANTS_PATH,
  type GrantRequest,
  type GrantResponse,
  grantCaptureSchema,
} from "../../ports/egress-grants.ts";

/** The orchestrator's env, or any object with the two variables. */
export interface EgressGrantConfig {
  EGRESS_PROXY_URL?: string;
  /** The proxy's admin secret: a secret of the orchestrator, never given to a Sandbox. */
  EGRESS_PROXY_SECRET?: string;
  /** Tests and special transports; default: the global fetch. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** How long to wait for the proxy (default 10 s). */
  timeoutMs?: number;
}

export interface EgressGrantFailure {
  code: "not_configured" | "refused";
  message: string;
  status?: number;
}

export class EgressProxyUnavailable extends OutageError {
  override readonly name = "EgressProxyUnavailable";
  constructor(message: string) {
    super("the egress proxy", message);
  }
}

interface Endpoint {
  url: string;
  secret: string;
  send: NonNullable<EgressGrantConfig["fetch"]>;
  timeoutMs: number;
}

function endpoint(config: EgressGrantConfig): Endpoint | null {
  const url = config.EGRESS_PROXY_URL?.replace(/\/+$/, "");
  const secret = config.EGRESS_PROXY_SECRET;
  if (!url || !secret) return null;
  // Wrapped: a bare `fetch` stored on an object and called as a method is an illegal invocation in Workers.
  const send = config.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  return { url, secret, send, timeoutMs: config.timeoutMs ?? 10_000 };
}

const notConfigured = (): { ok: false; error: EgressGrantFailure } =>
  err({
    code: "not_configured",
    message: "no egress proxy for grants: EGRESS_PROXY_URL and EGRESS_PROXY_SECRET must both be set",
  });

async function call(e: Endpoint, path: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await e.send(`${e.url}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${e.secret}` },
      signal: AbortSignal.timeout(e.timeoutMs),
    });
  } catch (error) {
    throw new EgressProxyUnavailable(`egress proxy unreachable: ${(error as Error).message}`);
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new EgressProxyUnavailable(`egress proxy answered ${response.status}`);
  }
  return response;
}

async function refusal(response: Response): Promise<{ ok: false; error: EgressGrantFailure }> {
  const text = await response.text();
  let message = text.slice(0, 500);
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) message = `${body.error.code ?? "refused"}: ${body.error.message}`;
  } catch {}
  return err({ code: "refused", status: response.status, message });
}

/**
 * Opens a grant: requests to `<baseUrl>/…` reach `<upstream>/…` with `Authorization: Bearer <token>`
 * until `ttlMs` passes or the grant is revoked. Give the Sandbox `baseUrl` only.
 */
export async function openGrant(
  config: EgressGrantConfig,
  request: GrantRequest,
): Promise<Result<GrantResponse, EgressGrantFailure>> {
  const e = endpoint(config);
  if (!e) return notConfigured();
  const response = await call(e, GRANTS_PATH, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  // 200: the grant opened before under the same key (a step run again).
  if (response.status !== 201 && response.status !== 200) return refusal(response);
  const body = (await response.json().catch(() => null)) as Partial<GrantResponse> | null;
  if (typeof body?.id !== "string" || typeof body.baseUrl !== "string" || typeof body.expiresAt !== "number")
    throw new EgressProxyUnavailable("egress proxy answered a grant without id, baseUrl or expiresAt");
  return ok({ id: body.id, baseUrl: body.baseUrl, expiresAt: body.expiresAt });
}

/** Revokes a grant. `revoked: false` when the proxy no longer knew it (expired, or revoked before). */
export async function revokeGrant(
  config: EgressGrantConfig,
  id: string,
): Promise<Result<{ revoked: boolean }, EgressGrantFailure>> {
  const e = endpoint(config);
  if (!e) return notConfigured();
  const response = await call(e, `${GRANTS_PATH}/${encodeURIComponent(id)}`, { method: "DELETE" });
  if (response.status === 204) return ok({ revoked: true });
  if (response.status === 404) {
    await response.body?.cancel();
    return ok({ revoked: false });
  }
  return refusal(response);
}

/**
 * What a capturing grant captured (the temporary account provisioned through it, real token and
 * claim URL included), or null when it captured nothing. `gone` when the proxy no longer knows
 * the grant (expired or revoked). Read it before revoking; keep what it returns out of step
 * results, events and logs.
 */
export async function readGrantCapture(
  config: EgressGrantConfig,
  id: string,
): Promise<Result<GrantCapture | null | "gone", EgressGrantFailure>> {
  const e = endpoint(config);
  if (!e) return notConfigured();
  const response = await call(e, `${GRANTS_PATH}/${encodeURIComponent(id)}`, { method: "GET" });
  if (response.status === 404) {
    await response.body?.cancel();
    return ok("gone");
  }
  if (response.status !== 200) return refusal(response);
  const body = (await response.json().catch(() => null)) as { captured?: unknown } | null;
  if (!body || !("captured" in body))
    throw new EgressProxyUnavailable("egress proxy answered a grant without its state");
  if (body.captured === null) return ok(null);
  const captured = grantCaptureSchema.safeParse(body.captured);
  if (!captured.success) throw new EgressProxyUnavailable("egress proxy answered a malformed capture");
  return ok(captured.data);
}
