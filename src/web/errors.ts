/**
 * The API's error vocabulary: one code → status table and one renderer, so
 * every failure answers `{ error: { code, message, path? } }`.
 */
import type { z } from "zod";

export const API_ERRORS = {
  unauthorized: 401,
  invalid_signature: 401,
  stale_timestamp: 401,
  forbidden: 403,
  not_found: 404,
  invalid_json: 400,
  invalid_request: 400,
  conflict: 409,
  gate_not_pending: 409,
  shown_changed: 409,
  already_approved: 409,
  link_invalid: 403,
  link_used: 410,
  link_expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_payload: 422,
  no_schedule: 409,
  unavailable: 503,
  internal: 500,
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly path?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
  get status(): number {
    return API_ERRORS[this.code];
  }
  toResponse(): Response {
    const error = {
      code: this.code,
      message: this.message,
      ...(this.path !== undefined ? { path: this.path } : {}),
      ...this.details,
    };
    return Response.json({ error }, { status: this.status });
  }
}

/** A zod failure as a 400 naming the first offending field (all issues listed too). */
export function fromZod(error: z.ZodError, where: string): ApiError {
  const issues = error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
  const first = issues[0] ?? { path: "", message: "invalid" };
  const path = first.path ? `${where}.${first.path}` : where;
  return new ApiError("invalid_request", `${path}: ${first.message}`, path, { issues });
}
