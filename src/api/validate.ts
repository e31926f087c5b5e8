/** Parsing request bodies and queries at the edge; handlers get typed values. */
import type { Context } from "hono";
import type { z } from "zod";
import { ApiError, fromZod } from "../web/errors.ts";
import { isJsonType } from "./request-guard.ts";

/** Counted in bytes as they arrive (UTF-8), not in decoded characters. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * The body as `schema`: at most `MAX_BODY_BYTES` bytes (413), `application/json`
 * when there is one (415; an empty body reads as `{}`), valid JSON (400).
 */
export async function jsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  const declared = Number(c.req.header("content-length"));
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
  if (bytes.byteLength > 0 && !isJsonType(c.req.header("content-type")))
    throw new ApiError(
      "unsupported_media_type",
      "request bodies must be application/json",
      "headers.content-type",
    );
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError("invalid_json", "body is not valid UTF-8", "body");
  }
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

function tooLarge(): ApiError {
  return new ApiError("payload_too_large", `body exceeds ${MAX_BODY_BYTES} bytes`);
}

export function query<T extends z.ZodType>(c: Context, schema: T): z.output<T> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw fromZod(parsed.error, "query");
  return parsed.data;
}
