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
  rewrite?: AnswerRewrite,
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
  });
  upstream.on("error", (error) => {
    entry.status = 502;
    if (!res.headersSent) refuse(res, 502, `upstream ${target.host} unreachable: ${error.message}`);
    else res.destroy(error);
  });
  req.pipe(upstream);
}
