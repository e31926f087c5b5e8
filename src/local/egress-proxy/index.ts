/**
 * The local egress proxy: how code in a local Sandbox reaches model APIs
 * without ever holding the key. Node only; runs beside the Sandbox host on
 * loopback (Sandboxes share the host's loopback in `loopback` network mode).
 *
 * - `/<route>/…` (e.g. `/anthropic/v1/messages`): forwarded to the route's
 *   upstream with the credential header replaced by the real key, the reply
 *   streamed back as it arrives. CLIs are pointed here by their base-URL
 *   variables (ANTHROPIC_BASE_URL, OPENAI_BASE_URL) and given a placeholder key.
 * - `CONNECT host:443` and absolute-form `http://host/…` (HTTPS_PROXY /
 *   HTTP_PROXY): tunnelled or forwarded only to allowlisted hosts, with no
 *   credential added (a TLS tunnel cannot be touched without breaking TLS).
 * - `/__egress/grants` (the orchestrator, with the admin secret) and
 *   `/__grant/<id>/…`: per-step grants to call an upstream with a token the
 *   Sandbox never holds (grants.ts; wire format in src/ports/egress-grants.ts).
 * - Anything else: 403, and the attempt is in the request log.
 *
 * Behind a corporate proxy (`upstream`, from the HTTPS_PROXY / HTTP_PROXY / NO_PROXY of the
 * process that runs this), everything it sends out goes through that proxy (CONNECT for TLS),
 * and the TLS it opens itself trusts the host's extra CAs (`caCertificates`): the Sandbox still
 * sees only this proxy, never the upstream's address or credentials (upstream.ts).
 *
 * The keys live in this process only: never in a Sandbox's environment, files
 * or process list (the Sandbox has its own PID namespace; see the test
 * test/adapters/agent/cli.node.test.ts).
 */
import { type IncomingMessage, type Server, createServer } from "node:http";
import { connect, type Socket } from "node:net";
import { rootCertificates } from "node:tls";
import { EGRESS_ROUTES, type EgressRoute, routeForPath, withCredential } from "../../ports/egress-routes.ts";
import { type EgressLogEntry, forward, headerPairs, type Outbound, refuse } from "./forward.ts";
import { createGrants } from "./grants.ts";
import { openTunnel, proxyFor, type UpstreamProxy } from "./upstream.ts";

export type { EgressLogEntry } from "./forward.ts";

export interface EgressProxyOptions {
  port?: number;
  host?: string;
  /** Routes and their upstreams (default: the real APIs; tests point them at local servers). */
  routes?: readonly EgressRoute[];
  /** Secret name → key (e.g. `{ ANTHROPIC_API_KEY: "sk-…" }`), read from the launcher's own environment. */
  keys: Record<string, string | undefined>;
  /** Hosts reachable through CONNECT / absolute-form requests (no credentials added). */
  allowHosts?: readonly string[];
  /** Bearer secret of the grant API (`/__egress/grants`); the orchestrator's only, never a Sandbox's. */
  adminSecret?: string;
  /** The host's upstream proxy to chain to (default none: `upstreamFromEnvironment` reads one). */
  upstream?: UpstreamProxy | null;
  /** Extra CA certificates (PEM) trusted beside Node's roots where this proxy opens TLS itself. */
  caCertificates?: readonly string[];
  /** Called with each log entry once its outcome is known (`npm start` prints refusals). */
  onEntry?: (entry: EgressLogEntry) => void;
  /** Clock for grant expiry (tests). */
  now?: () => number;
}

export interface EgressProxy {
  url: string;
  /** What went through (or was refused), newest last; keys and tokens never appear here. */
  log: EgressLogEntry[];
  close(): Promise<void>;
}

/** The keys the proxy can add, from an environment (the launcher's own): route secret → value. */
export function keysFromEnvironment(
  env: Record<string, string | undefined> = process.env,
  routes: readonly EgressRoute[] = EGRESS_ROUTES,
): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const { secret } of routes) {
    const value = env[secret];
    if (value) keys[secret] = value;
  }
  return keys;
}

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const routes = options.routes ?? EGRESS_ROUTES;
  const allow = new Set((options.allowHosts ?? []).map((h) => h.toLowerCase()));
  const log: EgressLogEntry[] = [];
  const sockets = new Set<Socket>();
  const host = options.host ?? "127.0.0.1";
  let url = "";
  const extraCa = options.caCertificates ?? [];
  const outbound: Outbound = {
    upstream: options.upstream ?? null,
    ca: extraCa.length ? [...rootCertificates, ...extraCa] : undefined,
  };

  /** Logs an entry; `onEntry` hears of it once its answer is finished (or at once, without one). */
  const record = (entry: EgressLogEntry, done?: { once(event: "close", fn: () => void): unknown }) => {
    log.push(entry);
    if (!options.onEntry) return entry;
    if (done) done.once("close", () => options.onEntry?.(entry));
    else options.onEntry(entry);
    return entry;
  };

  const server: Server = createServer((req, res) => {
    let raw = req.url ?? "/";
    // A client that sends everything through HTTP(S)_PROXY (wrangler does, once HTTPS_PROXY is
    // set) addresses the proxy's own routes in absolute form: they are served as they are.
    if (/^https?:\/\//i.test(raw)) {
      const target = URL.parse(raw);
      if (!target) return refuse(res, 400, "not a URL");
      if (target.origin === url) raw = `${target.pathname}${target.search}`;
    }
    const path = raw.split("?")[0] ?? "/";
    if (grants.handles(path)) return grants.handle(req, res, raw);
    if (/^https?:\/\//i.test(raw)) {
      // Absolute-form: a client using this as HTTP_PROXY.
      const target = new URL(raw);
      const entry = record(
        { kind: "forward", target: target.host, allowed: allow.has(target.hostname), status: null },
        res,
      );
      if (!entry.allowed) {
        entry.status = 403;
        return refuse(res, 403, `${target.hostname} is not on the egress allowlist`);
      }
      return forward(req, res, target, headerPairs(req), entry, outbound);
    }
    const found = routeForPath(path, routes);
    const entry = record(
      { kind: "route", target: found?.route.name ?? raw.slice(0, 100), allowed: !!found, status: null },
      res,
    );
    if (!found) {
      entry.status = 403;
      return refuse(res, 403, `no egress route for ${raw.slice(0, 100)}`);
    }
    const key = options.keys[found.route.secret];
    if (!key) {
      // 401, as the API itself would answer without a key: a missing key is not worth retrying.
      entry.status = 401;
      entry.reason = `no ${found.route.secret}`;
      return refuse(
        res,
        401,
        `the egress proxy has no ${found.route.secret} to add for route ${found.route.name}: set it in the environment of \`npm start\``,
        "egress_no_key",
      );
    }
    const query = raw.includes("?") ? raw.slice(raw.indexOf("?")) : "";
    const target = new URL(`${found.route.upstream.replace(/\/+$/, "")}${found.rest}${query}`);
    forward(req, res, target, withCredential(headerPairs(req), found.route, key), entry, outbound);
  });

  const grants = createGrants({
    ...(options.adminSecret ? { adminSecret: options.adminSecret } : {}),
    now: options.now ?? Date.now,
    publicUrl: () => url,
    record,
    outbound,
  });

  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const [hostname = "", portText = "443"] = (req.url ?? "").split(":");
    const entry: EgressLogEntry = {
      kind: "connect",
      target: req.url ?? "",
      // TLS to an allowlisted host, nothing else: no other port of it, no raw TCP.
      allowed: allow.has(hostname.toLowerCase()) && portText === "443",
      status: null,
    };
    if (!entry.allowed) {
      entry.status = 403;
      record(entry);
      client.end("HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\nnot on the egress allowlist\n");
      return;
    }
    record(entry, client);
    const port = Number(portText);
    const proxy = proxyFor(outbound.upstream, "https", hostname, port);
    const opened = proxy
      ? openTunnel(proxy, hostname, port, outbound.ca)
      : new Promise<Socket>((resolve, reject) => {
          const socket = connect(port, hostname, () => resolve(socket));
          socket.once("error", reject);
        });
    opened.then(
      (upstream) => {
        entry.status = 200;
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
        const close = () => {
          upstream.destroy();
          client.destroy();
        };
        // Either side gone (the proxy closing included) ends the tunnel: none outlives its client.
        upstream.on("error", close).on("close", close);
        client.on("error", close).on("close", close);
      },
      (error: Error) => {
        // Said at once, to the client and in the log: not a hang until the client's own timeout.
        entry.status = 502;
        entry.reason = error.message;
        client.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\n\r\n${error.message}\n`);
      },
    );
    client.on("error", () =>
      opened.then(
        (upstream) => upstream.destroy(),
        () => undefined,
      ),
    );
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  url = `http://${host}:${port}`;
  return {
    url,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
