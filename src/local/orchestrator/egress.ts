/**
 * The local stack's egress proxy (src/local/egress-proxy): started with the
 * model keys of this process's environment (or the ones a test gives) and a
 * fresh admin secret for grants, which only the orchestrator receives.
 */
import { randomBytes } from "node:crypto";
import type { EgressRoute } from "../../ports/egress-routes.ts";
import { type EgressProxy, keysFromEnvironment, startEgressProxy } from "../egress-proxy/index.ts";
import { type UpstreamProxy, upstreamFromEnvironment } from "../egress-proxy/upstream.ts";
import { hostExtraCertificates } from "../host-trust.ts";

export interface StackEgressOptions {
  port: number;
  routes?: readonly EgressRoute[];
  /** Default: taken from this process's environment (see `takeKeysFromEnvironment`). */
  keys?: Record<string, string | undefined>;
  /** Default: random per start. */
  adminSecret?: string;
  /** Hosts a Sandbox may open a TLS tunnel to (CONNECT …:443), e.g. the npm registry. */
  allowHosts?: readonly string[];
  /** Each refusal, one line (never a key or token). */
  log?: (line: string) => void;
  /** The host's network settings the proxy goes out with (`hostNetworkFromEnvironment`). */
  hostNetwork?: HostNetwork;
}

/** How this machine reaches the Internet: its upstream proxy and the extra CAs it trusts. */
export interface HostNetwork {
  upstream: UpstreamProxy | null;
  /** PEM certificates the system's roots lack (a TLS-inspecting proxy's root). */
  caCertificates: string[];
}

/**
 * The host's network settings, read once at start-up from the launcher's environment
 * (HTTPS_PROXY / HTTP_PROXY / NO_PROXY; NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, npm_config_cafile,
 * NIGHTSHIFT_CA_CERTS). A setting that names something unusable is an error now, not a TLS
 * failure minutes into a job's setup.
 */
export async function hostNetworkFromEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<HostNetwork> {
  return { upstream: upstreamFromEnvironment(env), caCertificates: await hostExtraCertificates(env) };
}

export interface StackEgress {
  proxy: EgressProxy;
  /** The grant API's admin secret: for the orchestrator's `EGRESS_PROXY_SECRET` only. */
  secret: string;
  /** Which keys the proxy can add (names only). */
  keyNames: string[];
}

/**
 * The model keys of this process's environment, removed from it once read: from then on they
 * live in the egress proxy only, and nothing this process starts later (the emulator's workerd
 * processes for deployed Workers, the Sandbox host's helper commands) inherits them.
 */
export function takeKeysFromEnvironment(routes?: readonly EgressRoute[]): Record<string, string> {
  const keys = keysFromEnvironment(process.env, routes);
  for (const name of Object.keys(keys)) delete process.env[name];
  return keys;
}

export async function startStackEgress(options: StackEgressOptions): Promise<StackEgress> {
  const keys = options.keys ?? takeKeysFromEnvironment(options.routes);
  const secret = options.adminSecret ?? randomBytes(32).toString("base64url");
  const log = options.log;
  const proxy = await startEgressProxy({
    port: options.port,
    keys,
    adminSecret: secret,
    ...(options.allowHosts ? { allowHosts: options.allowHosts } : {}),
    ...(options.routes ? { routes: options.routes } : {}),
    ...(options.hostNetwork
      ? { upstream: options.hostNetwork.upstream, caCertificates: options.hostNetwork.caCertificates }
      : {}),
    ...(log
      ? {
          onEntry: (entry) => {
            if (entry.allowed) return;
            const why = entry.reason ? `, ${entry.reason}` : "";
            log(`refused ${entry.kind} ${entry.target} (${entry.status}${why})`);
          },
        }
      : {}),
  });
  return { proxy, secret, keyNames: Object.keys(keys).filter((name) => keys[name]) };
}
