/** Random identifiers in the shapes Cloudflare uses (32-hex ids, UUIDs, tokens). */
import { randomBytes, randomUUID } from "node:crypto";

export const hexId = (): string => randomBytes(16).toString("hex");
export const uuid = (): string => randomUUID();
/** API tokens must be Latin-1 (wrangler puts them in a header): base64url is. */
export const apiToken = (): string => `emu_${randomBytes(30).toString("base64url")}`;
export const claimToken = (): string => randomBytes(24).toString("base64url");
export const subdomainName = (): string => `tmp-${randomBytes(4).toString("hex")}`;
export const accountName = (): string => `Preview Account ${randomBytes(3).toString("hex")}`;
