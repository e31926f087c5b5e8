/**
 * workers.dev host names and how to reach them without DNS. Pure.
 *
 * A Worker `S` on an account whose subdomain is `D` lives at
 * `https://S.D.workers.dev`. The emulator serves it in two ways:
 *  - any request to the emulator whose Host header is `S.D.workers.dev`;
 *  - the path form `http://<emulator>/__workers/S.D.workers.dev/<path>`.
 */

import { toLocalUrl, WORKERS_PATH_PREFIX } from "../../ports/emulator-urls.ts";

export { toLocalUrl, WORKERS_PATH_PREFIX };

export interface WorkersDevHost {
  script: string;
  subdomain: string;
}

/** Splits `script.subdomain.workers.dev` (port ignored); null for any other host. */
export function parseWorkersDevHost(host: string): WorkersDevHost | null {
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  const m = /^([a-z0-9-_]+)\.([a-z0-9-]+)\.workers\.dev$/.exec(hostname);
  if (!m) return null;
  return { script: m[1]!, subdomain: m[2]! };
}

export function workersDevHostname(script: string, subdomain: string): string {
  return `${script}.${subdomain}.workers.dev`;
}

/**
 * Splits a path-form request `/__workers/<host>/<rest>` into the host and the
 * path the Worker should see; null when the path is not of that form.
 */
export function parseWorkersPath(pathAndQuery: string): { host: string; path: string } | null {
  if (!pathAndQuery.startsWith(WORKERS_PATH_PREFIX)) return null;
  const rest = pathAndQuery.slice(WORKERS_PATH_PREFIX.length);
  const cut = rest.search(/[/?]/);
  const host = cut === -1 ? rest : rest.slice(0, cut);
  let path = cut === -1 ? "/" : rest.slice(cut);
  if (path.startsWith("?")) path = `/${path}`;
  return host ? { host, path } : null;
}
