/**
 * Serving deployed Workers: finds the script a request is for (by its
 * workers.dev or custom-domain Host, or the `/__workers/<host>/…` path form),
 * makes sure its Miniflare runs, and streams the request to it with the public
 * URL restored (Miniflare's `MF-Original-URL`), so `request.url` inside the
 * Worker reads `https://<script>.<subdomain>.workers.dev/…` as on Cloudflare.
 */
import { type IncomingMessage, request as httpRequest, type ServerResponse } from "node:http";
import { isExpired } from "./accounts.ts";
import type { Services } from "./context.ts";
import type { ServiceHandler } from "./miniflare-options.ts";
import { activeVersion } from "./deploy.ts";
import type { ScriptRecord } from "./state.ts";
import { scriptKey } from "./state.ts";
import { parseWorkersDevHost } from "./workers-dev.ts";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
  "te",
  "trailer",
]);

const NOTHING_HERE =
  "<!doctype html><html><head><title>There is nothing here yet</title></head><body><h1>There is nothing here yet</h1>" +
  "<p>No Worker is deployed at this address (it may have been deleted, or its temporary account expired).</p></body></html>";

/** The deployed script serving `host`, or null (unknown, deleted, expired, or workers.dev disabled). */
export function scriptForHost(svc: Services, host: string): ScriptRecord | null {
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  const dev = parseWorkersDevHost(hostname);
  if (dev) {
    const account = svc.store.accountBySubdomain(dev.subdomain);
    if (!account || isExpired(account, svc.now())) return null;
    const script = svc.store.state.scripts[scriptKey(account.id, dev.script)];
    return script?.activeVersionId && script.subdomain.enabled ? script : null;
  }
  const domain = Object.values(svc.store.state.customDomains).find((d) => d.hostname === hostname);
  if (!domain) return null;
  const account = svc.store.state.accounts[domain.accountId];
  if (!account || isExpired(account, svc.now())) return null;
  const script = svc.store.state.scripts[scriptKey(domain.accountId, domain.service)];
  return script?.activeVersionId ? script : null;
}

export function isCustomDomain(svc: Services, host: string): boolean {
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  return Object.values(svc.store.state.customDomains).some((d) => d.hostname === hostname);
}

/** Answers one request for a Worker; resolves with the status sent. */
export async function proxyToWorker(
  svc: Services,
  req: IncomingMessage,
  res: ServerResponse,
  target: { host: string; path: string; body: Buffer },
): Promise<number> {
  const script = scriptForHost(svc, target.host);
  if (!script || !activeVersion(script)) {
    res.writeHead(404, { "content-type": "text/html; charset=utf-8" }).end(NOTHING_HERE);
    return 404;
  }
  const hostname = target.host.replace(/:\d+$/, "");
  return serveScript(svc, script, req, res, {
    ...target,
    host: hostname,
    url: `https://${hostname}${target.path}`,
  });
}

/**
 * Streams one request to a deployed script's running version (started if need be), as
 * `target.url`: a workers.dev or custom-domain request, or a service binding's call from
 * another Worker of the account (whose URL is the caller's, as on Cloudflare).
 */
export async function serveScript(
  svc: Services,
  script: ScriptRecord,
  req: IncomingMessage,
  res: ServerResponse,
  target: { host: string; path: string; url: string; body: Buffer },
): Promise<number> {
  const version = activeVersion(script);
  if (!version) {
    res.writeHead(404, { "content-type": "text/html; charset=utf-8" }).end(NOTHING_HERE);
    return 404;
  }
  const started = await svc.host.lease(scriptKey(script.accountId, script.name), version.id, () =>
    svc.versionSpec(script, version),
  );
  if (!started.ok) {
    svc.log(`Worker ${script.name} failed to start: ${started.error}`);
    res
      .writeHead(500, { "content-type": "text/plain; charset=utf-8" })
      .end(`Worker threw exception (startup failed)\n${started.error}`);
    return 500;
  }
  const upstream = started.worker.url;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers.host = target.host;
  headers["mf-original-url"] = target.url;
  headers["content-length"] = String(target.body.length);
  const answered = new Promise<number>((resolve) => {
    const out = httpRequest(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: target.path, headers },
      (answer) => {
        const status = answer.statusCode ?? 502;
        const responseHeaders = Object.fromEntries(
          Object.entries(answer.headers).filter(
            ([name, value]) => value !== undefined && !HOP_BY_HOP.has(name),
          ),
        );
        res.writeHead(status, responseHeaders);
        answer.pipe(res);
        answer.on("end", () => resolve(status));
        answer.on("error", () => resolve(status));
        res.once("close", () => resolve(status));
      },
    );
    out.on("error", (error) => {
      svc.log(`proxy to Worker ${script.name} failed: ${error.message}`);
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("Bad gateway: the Worker's runtime did not answer");
      resolve(502);
    });
    out.end(target.body);
  });
  // Until the answer is sent, the Worker is in use: not disposed as idle.
  return answered.finally(started.release);
}

/**
 * A service binding's target: the account's Worker `service`, looked up when the call is made
 * (a redeploy of the target is served at once), or null when it is not deployed now. The
 * binding is checked at deploy time, as Cloudflare refuses a binding to a missing Worker.
 */
export function serviceHandler(svc: Services, accountId: string, service: string): ServiceHandler | null {
  const deployed = () => {
    const script = svc.store.state.scripts[scriptKey(accountId, service)];
    return script && activeVersion(script) ? script : null;
  };
  if (!deployed()) return null;
  return async (req, res) => {
    const script = deployed();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!script) {
      res.writeHead(503, { "content-type": "text/plain" }).end(`Worker ${service} is no longer deployed`);
      return;
    }
    const host = req.headers.host ?? `${service}.internal`;
    const path = req.url ?? "/";
    await serveScript(svc, script, req, res, {
      host,
      path,
      url: `https://${host}${path}`,
      body: Buffer.concat(chunks),
    });
  };
}
