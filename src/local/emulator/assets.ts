/**
 * Static assets: the upload-session JWTs and the file hash wrangler uses.
 *
 * hash = first 32 hex chars of BLAKE3(base64(bytes) + extension-without-dot)
 * (cloudflare-api.md §3c). Session and completion tokens are JWT-shaped
 * because wrangler decodes their payload (for `exp` and upload mode); the
 * emulator looks them up by value, so the signature is never checked.
 */
import { createHash } from "node:crypto";
import { extname } from "node:path";
import { blake3 } from "hash-wasm";
import { hexId } from "./ids.ts";

/** Hash of one asset as wrangler computes it, from the file's bytes and path. */
export async function assetHash(bytes: Uint8Array, path: string): Promise<string> {
  return assetHashOfBase64(Buffer.from(bytes).toString("base64"), path);
}

export async function assetHashOfBase64(base64: string, path: string): Promise<string> {
  const extension = extname(path).slice(1);
  return (await blake3(base64 + extension)).slice(0, 32);
}

/** A JWT-shaped bearer token whose payload wrangler can read. */
export function makeJwt(payload: Record<string, unknown>, lifetimeMs: number, now: Date): string {
  const seconds = Math.floor(now.getTime() / 1000);
  const body = { ...payload, jti: hexId(), iat: seconds, exp: seconds + Math.ceil(lifetimeMs / 1000) };
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const unsigned = `${enc({ alg: "HS256", typ: "JWT" })}.${enc(body)}`;
  return `${unsigned}.${createHash("sha256").update(unsigned).digest("base64url")}`;
}

/** MIME type Miniflare would infer is fine for serving; wrangler sends its own, which we do not need. */
export function isAssetPathSafe(path: string): boolean {
  return path.startsWith("/") && !path.split("/").some((seg) => seg === ".." || seg === ".");
}
