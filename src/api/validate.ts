/** Parsing request bodies and queries at the edge; handlers get typed values. */
import type { Context } from "hono";
import type { z } from "zod";
import { ApiError, fromZod } from "./errors.ts";

const MAX_BODY_BYTES = 256 * 1024;

export async function jsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES)
    throw new ApiError("payload_too_large", `body exceeds ${MAX_BODY_BYTES} bytes`);
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ApiError("invalid_json", `body is not valid JSON: ${(error as Error).message}`, "body");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fromZod(parsed.error, "body");
  return parsed.data;
}

export function query<T extends z.ZodType>(c: Context, schema: T): z.output<T> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw fromZod(parsed.error, "query");
  return parsed.data;
}
