/**
 * The per-stack secrets local services (the Sandbox host, the emulator's admin
 * routes) demand as `Authorization: Bearer <secret>`: made at random, compared
 * in constant time, and — for the standalone CLIs — kept in a file only the
 * owner can read, so the secret never appears on a command line (`ps` shows
 * every process's argv to every user of the machine).
 *
 * Node only; each host imports this file, none imports another host.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";

/** 32 random bytes, base64url: what every local service's secret is made of. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * A check of `Authorization` headers against one secret. Both sides are hashed first, so the
 * comparison takes the same time whatever the header's length or content (timingSafeEqual
 * alone throws on different lengths, which would tell the length).
 *
 * @example
 * const allowed = bearerCheck(secret);
 * if (!allowed(request.headers.get("authorization"))) return unauthorized();
 */
export function bearerCheck(secret: string): (authorization: string | null | undefined) => boolean {
  if (secret.length < 16) throw new Error("a service secret must be at least 16 characters");
  const expected = digest(`Bearer ${secret}`);
  return (authorization) => timingSafeEqual(digest(authorization ?? ""), expected);
}

/** The JSON body a service answers a missing or wrong secret with (status 401). */
export const UNAUTHORIZED_BODY = {
  error: { code: "unauthorized", message: "missing or wrong bearer secret (Authorization: Bearer <secret>)" },
} as const;

/**
 * The secret in `path`, or a new one written there with mode 0600 when the file does not
 * exist. A file that others may read (any group or other permission bit) is refused rather
 * than trusted: its secret may already be known.
 */
export async function secretFile(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0)
      throw new Error(
        `${path} may be read by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`,
      );
    const text = (await readFile(path, "utf8")).trim();
    if (text.length < 16) throw new Error(`${path} holds no secret (at least 16 characters)`);
    return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const secret = newSecret();
  // O_EXCL: never write into a file (or through a link) someone else made meanwhile.
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(`${secret}\n`);
  } finally {
    await handle.close();
  }
  return secret;
}
