/**
 * Cloudflare's v4 response envelope and the one error type handlers throw.
 * Pure: no I/O. Every API answer of the emulator, success or failure, is built
 * here so its shape matches what wrangler and the `cloudflare` SDK parse
 * (`{ success, errors, messages, result }`, plus `result_info` on lists).
 */

export interface CfMessage {
  code: number;
  message: string;
}

export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

export interface Envelope {
  success: boolean;
  errors: CfMessage[];
  messages: CfMessage[];
  result: unknown;
  result_info?: ResultInfo;
}

/** Well-known Cloudflare error codes the emulator answers with. */
export const CfCode = {
  authentication: 10000,
  invalidRequest: 10001,
  workerNotFound: 10007,
  scriptStartupFailed: 10021,
  routeNotFound: 7003,
  methodNotAllowed: 10405,
  zoneNotFound: 1001,
  dnsRecordNotFound: 81044,
  dnsRecordExists: 81057,
  customDomainNotFound: 100117,
  routeRecordNotFound: 10020,
  kvNamespaceNotFound: 10013,
  challengeInvalid: 1031,
  versionNotFound: 10212,
} as const;

/**
 * An API failure that renders itself as a Cloudflare error envelope. Handlers
 * throw it for expected refusals (not found, bad body, auth); the server turns
 * it into the HTTP answer. Anything else thrown becomes a logged 500.
 */
export class CfApiError extends Error {
  override readonly name = "CfApiError";
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  toEnvelope(): Envelope {
    return failure(this.code, this.message);
  }
}

export function ok(result: unknown, resultInfo?: ResultInfo): Envelope {
  const envelope: Envelope = { success: true, errors: [], messages: [], result };
  if (resultInfo) envelope.result_info = resultInfo;
  return envelope;
}

export function failure(code: number, message: string): Envelope {
  return { success: false, errors: [{ code, message }], messages: [], result: null };
}

/** Slices `items` by Cloudflare's `page`/`per_page` query (1-based, default 20/page, max 1000). */
export function paginate<T>(
  items: T[],
  query: URLSearchParams,
  defaultPerPage = 20,
): { page: T[]; info: ResultInfo } {
  const perPage = clampInt(query.get("per_page"), defaultPerPage, 1, 5_000_000);
  const page = clampInt(query.get("page"), 1, 1, Number.MAX_SAFE_INTEGER);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return {
    page: slice,
    info: {
      page,
      per_page: perPage,
      count: slice.length,
      total_count: items.length,
      total_pages: Math.max(1, Math.ceil(items.length / perPage)),
    },
  };
}

function clampInt(raw: string | null, fallback: number, min: number, max: number): number {
  const n = raw === null ? Number.NaN : Number.parseInt(raw, 10);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}
