/** HTTP plumbing of the egress proxy: header filtering, JSON refusals, streaming forward. */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";

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

/** Sends the request on to `target` and pipes the answer back, streaming both ways. */
export function forward(
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
