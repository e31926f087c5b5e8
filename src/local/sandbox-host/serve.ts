/**
 * A minimal bridge from node:http to a fetch handler (Request → Response), so
 * the host's routes are a plain Hono app that tests can also call with
 * `app.request`. Streams response bodies (NDJSON exec output) as they come.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { AfterAnswer } from "./after-answer.ts";

export type FetchHandler = (request: Request) => Promise<Response>;

function toRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else if (value !== undefined) headers.set(key, value);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(new URL(req.url ?? "/", origin), {
    method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  } as RequestInit);
}

export async function serve(
  handler: FetchHandler,
  opts: { port: number; host: string; afterAnswer?: AfterAnswer },
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    // Background work deferred while this request is handled starts once its answer is out.
    const answered = opts.afterAnswer?.begin();
    if (answered) {
      res.once("finish", answered);
      res.once("close", answered);
    }
    const origin = `http://${req.headers.host ?? `${opts.host}:${opts.port}`}`;
    handler(toRequest(req, origin))
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        if (!response.body) return res.end();
        const reader = response.body.getReader();
        res.on("close", () => void reader.cancel().catch(() => undefined));
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          res.write(value);
        }
        res.end();
      })
      .catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "internal", message: String(error) } }));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return { server, url: `http://${shownHost}:${port}` };
}
