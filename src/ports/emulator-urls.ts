/**
 * How a public Worker URL is reached through the local Cloudflare API
 * emulator without DNS: its path form `<emulator>/__workers/<host>/<path>`.
 * Pure and Worker-safe: the emulator serves the form, the Worker's verifier
 * and the CLI address it.
 */

export const WORKERS_PATH_PREFIX = "/__workers/";

/**
 * Maps a public Worker URL (`https://S.D.workers.dev/x?y`, or a custom domain)
 * to a URL a local client can fetch through the emulator at `emulatorUrl`.
 *
 * @example
 * toLocalUrl("https://hello.tmp-1a2b.workers.dev/api?q=1", "http://127.0.0.1:8788")
 * // → "http://127.0.0.1:8788/__workers/hello.tmp-1a2b.workers.dev/api?q=1"
 */
export function toLocalUrl(publicUrl: string, emulatorUrl: string): string {
  const url = new URL(publicUrl);
  const base = emulatorUrl.replace(/\/+$/, "");
  return `${base}${WORKERS_PATH_PREFIX}${url.host}${url.pathname}${url.search}`;
}

/**
 * Where a person opens a deployed Worker from here: in local mode (an emulator, no DNS for
 * `*.workers.dev`) its path form through the emulator, otherwise the public URL itself; null
 * when there is no usable URL.
 */
export function openableUrl(publicUrl: unknown, emulatorUrl: string | undefined): string | null {
  if (typeof publicUrl !== "string" || !/^https?:\/\//.test(publicUrl)) return null;
  return emulatorUrl ? toLocalUrl(publicUrl, emulatorUrl) : publicUrl;
}
