/**
 * The host's own upstream proxy (a corporate proxy, often TLS-inspecting): the egress proxy
 * chains to it, so a Sandbox keeps one way out (the egress proxy, with its allowlist and
 * grants) and never learns the upstream's address or credentials. Read from the environment of
 * the process that runs the egress proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as curl and npm
 * read them). A proxy URL's user and password are secrets: they go only into the
 * Proxy-Authorization header sent to that proxy, never into an error, a log line or argv.
 */
import { isIP, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

export interface UpstreamProxy {
  /** For https targets and CONNECT tunnels. */
  https: URL | null;
  /** For plain http targets. */
  http: URL | null;
  /** NO_PROXY entries, lower case: `*`, a host, `.domain` / `*.domain`, or `host:port`. */
  noProxy: readonly string[];
}

export class UpstreamProxyError extends Error {
  override readonly name = "UpstreamProxyError";
}

const first = (env: Readonly<Record<string, string | undefined>>, names: readonly string[]) =>
  names.map((name) => ({ name, value: env[name]?.trim() })).find((v) => v.value);

function parseProxy(name: string, value: string): URL {
  const url = URL.parse(value.includes("://") ? value : `http://${value}`);
  // The value itself stays out of the message: it may hold the proxy's password.
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname)
    throw new UpstreamProxyError(`${name} is not an http:// or https:// proxy URL`);
  return url;
}

/** The upstream proxy an environment names, or null for none (pure). */
export function upstreamFromEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): UpstreamProxy | null {
  const https = first(env, ["HTTPS_PROXY", "https_proxy"]);
  const http = first(env, ["HTTP_PROXY", "http_proxy"]);
  if (!https && !http) return null;
  const noProxy = (first(env, ["NO_PROXY", "no_proxy"])?.value ?? "")
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => entry.toLowerCase());
  const httpUrl = http ? parseProxy(http.name, http.value!) : null;
  // As npm does: https targets use HTTP_PROXY when HTTPS_PROXY is not set.
  return { https: https ? parseProxy(https.name, https.value!) : httpUrl, http: httpUrl, noProxy };
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** The proxy to reach `hostname:port` through, or null to go direct (pure). */
export function proxyFor(
  upstream: UpstreamProxy | null,
  scheme: "http" | "https",
  hostname: string,
  port: number,
): URL | null {
  const proxy = upstream?.[scheme] ?? null;
  const host = hostname.toLowerCase();
  // The upstream proxy cannot reach this machine's loopback (local model servers, the emulator).
  if (!proxy || LOOPBACK.has(host) || host.startsWith("127.")) return null;
  for (const entry of upstream?.noProxy ?? []) {
    if (entry === "*") return null;
    const [name = "", entryPort] = entry.split(/:(?=\d+$)/);
    if (entryPort && Number(entryPort) !== port) continue;
    const domain = name.replace(/^\*?\./, "");
    if (host === domain || host.endsWith(`.${domain}`)) return null;
  }
  return proxy;
}

/** How a proxy is named in errors and logs: scheme, host and port, never its credentials. */
export function proxyLabel(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

export function proxyPort(proxy: URL): number {
  return Number(proxy.port) || (proxy.protocol === "https:" ? 443 : 80);
}

/** `Proxy-Authorization` for a proxy URL with a user in it, or null. */
export function proxyAuthorization(proxy: URL): string | null {
  if (!proxy.username) return null;
  const user = decodeURIComponent(proxy.username);
  const password = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** A TCP (or, for an https:// proxy, TLS) connection to the proxy itself. */
export function connectToProxy(proxy: URL, ca: readonly string[] | undefined): Socket {
  const port = proxyPort(proxy);
  if (proxy.protocol === "https:")
    return tlsConnect({
      host: proxy.hostname,
      port,
      ...(isIP(proxy.hostname) ? {} : { servername: proxy.hostname }),
      ...(ca ? { ca: [...ca] } : {}),
    });
  return netConnect(port, proxy.hostname);
}

/**
 * A tunnel to `host:port` through `proxy` (CONNECT), resolved once the proxy answered 200; the
 * bytes it sent after its answer are put back for the tunnel's reader.
 */
export function openTunnel(
  proxy: URL,
  host: string,
  port: number,
  ca: readonly string[] | undefined,
  timeoutMs = 30_000,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectToProxy(proxy, ca);
    const label = proxyLabel(proxy);
    const target = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    let head = Buffer.alloc(0);
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new UpstreamProxyError(`the upstream proxy ${label} ${why} (CONNECT ${target})`));
    };
    socket.setTimeout(timeoutMs, () => fail(`did not answer within ${timeoutMs / 1000} s`));
    socket.once("error", (error: NodeJS.ErrnoException) =>
      fail(`is unreachable: ${error.code ?? error.message}`),
    );
    socket.once(proxy.protocol === "https:" ? "secureConnect" : "connect", () => {
      const auth = proxyAuthorization(proxy);
      socket.write(
        `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ""}\r\n`,
      );
    });
    // Read in paused mode ("readable", not "data"): the socket stays paused for whoever takes
    // the tunnel (a pipe, or TLS on top), and no byte after the answer is lost.
    const onReadable = () => {
      for (;;) {
        const chunk = socket.read() as Buffer | null;
        if (chunk === null) return;
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) {
          if (head.length > 16_384) return fail("sent an answer head too long");
          continue;
        }
        socket.removeListener("readable", onReadable);
        const status = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
        const code = Number(status.split(" ")[1]);
        if (code !== 200) {
          const why =
            code === 407 ? ": its credentials (user:password in HTTPS_PROXY) are missing or refused" : "";
          return fail(`answered ${status.slice(0, 100)}${why}`);
        }
        settled = true;
        socket.setTimeout(0);
        socket.removeListener("end", onEnd);
        socket.removeAllListeners("error");
        const rest = head.subarray(end + 4);
        if (rest.length) socket.unshift(rest);
        return resolve(socket);
      }
    };
    const onEnd = () => fail("closed the connection before answering");
    socket.once("end", onEnd);
    socket.on("readable", onReadable);
  });
}
