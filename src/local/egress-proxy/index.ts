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
 * - Anything else: 403, and the attempt is in the request log.
 *
 * The keys live in this process only: never in a Sandbox's environment, files
 * or process list (the Sandbox has its own PID namespace; see the test
 * test/adapters/agent/keys.node.test.ts).
 */
import {
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
} from "node:http";
import { request as httpsRequest } from "node:https";
import { connect, type Socket } from "node:net";
import {
  EGRESS_ROUTES,
  type EgressRoute,
  routeForPath,
  withCredential,
} from "../../adapters/agent/egress-routes.ts";

export interface EgressProxyOptions {
  port?: number;
  host?: string;
  /** Routes and their upstreams (default: the real APIs; tests point them at local servers). */
  routes?: readonly EgressRoute[];
  /** Secret name → key (e.g. `{ ANTHROPIC_API_KEY: "sk-…" }`), read from the launcher's own environment. */
  keys: Record<string, string | undefined>;
  /** Hosts reachable through CONNECT / absolute-form requests (no credentials added). */
  allowHosts?: readonly string[];
}

export interface EgressLogEntry {
  kind: "route" | "connect" | "forward";
  target: string;
  allowed: boolean;
  status: number | null;
}

export interface EgressProxy {
  url: string;
  /** What went through (or was refused), newest last; keys never appear here. */
  log: EgressLogEntry[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "host",
  "content-length",
]);

function headerPairs(req: IncomingMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.push([name, req.rawHeaders[i + 1]!]);
  }
  return out;
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code: "egress_refused", message } }));
}

/** Sends the request on to `target` and pipes the answer back, streaming. */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  headers: Array<[string, string]>,
  entry: EgressLogEntry,
): void {
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  const outgoing: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const prev = outgoing[key];
    outgoing[key] = prev === undefined ? value : ([] as string[]).concat(prev, value);
  }
  const upstream = send(target, { method: req.method, headers: outgoing }, (answer) => {
    entry.status = answer.statusCode ?? 502;
    const back: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) back[name] = value;
    res.writeHead(answer.statusCode ?? 502, back);
    answer.pipe(res);
  });
  upstream.on("error", (error) => {
    entry.status = 502;
    if (!res.headersSent) refuse(res, 502, `upstream ${target.host} unreachable: ${error.message}`);
    else res.destroy(error);
  });
  req.pipe(upstream);
}

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const routes = options.routes ?? EGRESS_ROUTES;
  const allow = new Set((options.allowHosts ?? []).map((h) => h.toLowerCase()));
  const log: EgressLogEntry[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    const raw = req.url ?? "/";
    if (/^https?:\/\//i.test(raw)) {
      // Absolute-form: a client using this as HTTP_PROXY.
      const target = new URL(raw);
      const entry: EgressLogEntry = {
        kind: "forward",
        target: target.host,
        allowed: allow.has(target.hostname),
        status: null,
      };
      log.push(entry);
      if (!entry.allowed) {
        entry.status = 403;
        return refuse(res, 403, `${target.hostname} is not on the egress allowlist`);
      }
      return forward(req, res, target, headerPairs(req), entry);
    }
    const found = routeForPath(raw.split("?")[0] ?? "/", routes);
    const entry: EgressLogEntry = {
      kind: "route",
      target: found?.route.name ?? raw.slice(0, 100),
      allowed: !!found,
      status: null,
    };
    log.push(entry);
    if (!found) {
      entry.status = 403;
      return refuse(res, 403, `no egress route for ${raw.slice(0, 100)}`);
    }
    const key = options.keys[found.route.secret];
    if (!key) {
      entry.status = 503;
      return refuse(res, 503, `the proxy has no ${found.route.secret} to add for route ${found.route.name}`);
    }
    const query = raw.includes("?") ? raw.slice(raw.indexOf("?")) : "";
    const target = new URL(`${found.route.upstream.replace(/\/+$/, "")}${found.rest}${query}`);
    forward(req, res, target, withCredential(headerPairs(req), found.route, key), entry);
  });

  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const [host = "", portText = "443"] = (req.url ?? "").split(":");
    const entry: EgressLogEntry = {
      kind: "connect",
      target: req.url ?? "",
      allowed: allow.has(host.toLowerCase()),
      status: null,
    };
    log.push(entry);
    if (!entry.allowed) {
      entry.status = 403;
      client.end("HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\nnot on the egress allowlist\n");
      return;
    }
    const upstream = connect(Number(portText), host, () => {
      entry.status = 200;
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const close = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on("error", close);
    client.on("error", close);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
