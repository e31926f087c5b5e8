/** HTTP plumbing of the egress proxy: header filtering, JSON refusals, streaming forward. */
import {
  type ClientRequest,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
  type ServerResponse,
} from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { openTunnel, proxyAuthorization, proxyFor, proxyPort, type UpstreamProxy } from "./upstream.ts";

/** How the egress proxy itself goes out: through the host's upstream proxy, trusting its CAs. */
export interface Outbound {
  upstream: UpstreamProxy | null;
  /** The roots TLS is checked against (Node's plus the host's extras), or undefined for Node's. */
  ca: readonly string[] | undefined;
}

export const DIRECT: Outbound = { upstream: null, ca: undefined };

/**
 * A request to `target`, directly or through the upstream proxy: https through a CONNECT
 * tunnel with TLS on top (checked against `ca`), plain http in absolute form.
 */
async function open(
  outbound: Outbound,
  target: URL,
  options: RequestOptions,
  onAnswer: (answer: IncomingMessage) => void,
): Promise<ClientRequest> {
  const https = target.protocol === "https:";
  const port = Number(target.port) || (https ? 443 : 80);
  const proxy = proxyFor(outbound.upstream, https ? "https" : "http", target.hostname, port);
  const ca = outbound.ca ? { ca: [...outbound.ca] } : {};
  if (!proxy) return (https ? httpsRequest : httpRequest)(target, { ...options, ...ca }, onAnswer);
  if (https) {
    const socket = await openTunnel(proxy, target.hostname, port, outbound.ca);
    const servername = isIP(target.hostname) ? {} : { servername: target.hostname };
    return httpsRequest(
      target,
      { ...options, createConnection: () => tlsConnect({ socket, ...servername, ...ca }) },
      onAnswer,
    );
  }
  const auth = proxyAuthorization(proxy);
  return (proxy.protocol === "https:" ? httpsRequest : httpRequest)(
    {
      ...options,
      ...ca,
      host: proxy.hostname,
      port: proxyPort(proxy),
      path: target.href,
      headers: { ...options.headers, host: target.host, ...(auth ? { "proxy-authorization": auth } : {}) },
    },
    onAnswer,
  );
}

export interface EgressLogEntry {
  kind: "route" | "connect" | "forward" | "grant" | "admin";
  /** Route name, host, or `grant <id prefix>…`; never a credential. */
  target: string;
  allowed: boolean;
  status: number | null;
  /** Why it was refused, when it was. */
  reason?: string;
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

export function headerPairs(req: IncomingMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.push([name, req.rawHeaders[i + 1]!]);
  }
  return out;
}

export function refuse(res: ServerResponse, status: number, message: string, code = "egress_refused"): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code, message } }));
}

/**
 * Rewrites a whole answer body before it goes back (a capturing grant); null refuses the answer
 * with 502 instead, so nothing the rewrite could not check reaches the client.
 */
export type AnswerRewrite = (status: number, body: Buffer) => Buffer | null;

/**
 * Sends the request on to `target` and pipes the answer back, streaming both ways; with
 * `rewrite`, the answer is read whole and rewritten first (send no `accept-encoding` then).
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  headers: Array<[string, string]>,
  entry: EgressLogEntry,
  outbound: Outbound,
  rewrite?: AnswerRewrite,
): void {
  const outgoing: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const prev = outgoing[key];
    outgoing[key] = prev === undefined ? value : ([] as string[]).concat(prev, value);
  }
  const onAnswer = (answer: IncomingMessage) => {
    entry.status = answer.statusCode ?? 502;
    const back: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) back[name] = value;
    if (!rewrite) {
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    answer.on("data", (chunk: Buffer) => chunks.push(chunk));
    answer.on("end", () => {
      const encoded = (answer.headers["content-encoding"] ?? "identity") !== "identity";
      const body = encoded ? null : rewrite(answer.statusCode ?? 502, Buffer.concat(chunks));
      if (!body) {
        entry.status = 502;
        entry.reason = "answer not inspectable";
        return refuse(res, 502, `the answer of ${target.host} could not be checked, so it is not passed on`);
      }
      res.writeHead(answer.statusCode ?? 502, { ...back, "content-length": String(body.length) });
      res.end(body);
    });
    answer.on("error", (error) => res.destroy(error));
  };
  const failed = (error: Error) => {
    entry.status = 502;
    if (!res.headersSent) refuse(res, 502, `upstream ${target.host} unreachable: ${error.message}`);
    else res.destroy(error);
  };
  open(outbound, target, { method: req.method, headers: outgoing }, onAnswer).then((upstream) => {
    upstream.on("error", failed);
    req.pipe(upstream);
  }, failed);
}
