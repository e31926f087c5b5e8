/**
 * Bearer-token authentication: a shared secret (NIGHTSHIFT_TOKEN) until roles
 * and sign-in arrive. Compared in constant time; the token never reaches logs.
 */
import type { MiddlewareHandler } from "hono";
import type { Env } from "../env.ts";
import { ApiError } from "./errors.ts";

export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export function bearerAuth(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const expected = c.env.NIGHTSHIFT_TOKEN;
    if (!expected)
      throw new ApiError(
        "unauthorized",
        "the server has no NIGHTSHIFT_TOKEN configured; every request is refused",
      );
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(match[1]!.trim(), expected)) {
      throw new ApiError(
        "unauthorized",
        "missing or wrong bearer token (Authorization: Bearer <NIGHTSHIFT_TOKEN>)",
      );
    }
    await next();
  };
}
