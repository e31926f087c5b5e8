/**
 * Wires the Cloudflare adapter to the real bindings: the Sandbox Durable
 * Object namespace (`getSandbox`) and the R2 bucket that holds the snapshot
 * index (the SDK keeps backups in BACKUP_BUCKET; the index can share it).
 * The only module here that imports `@cloudflare/sandbox` at runtime.
 *
 * It also defines the Sandbox class the Worker exports (src/worker.ts): the
 * SDK's, with outbound interception (cloudflare-outbound.ts) so model API keys
 * and the Cloudflare API token are added in the Worker, never in the container.
 */
import { Sandbox as BaseSandbox, getSandbox } from "@cloudflare/sandbox";

/** The SDK's entrypoint that dispatches intercepted container requests; src/worker.ts exports it. */
export { ContainerProxy } from "@cloudflare/sandbox";
import type { SandboxProvider } from "../../ports/sandbox.ts";
import { createCloudflareSandboxProvider } from "./cloudflare.ts";
import type { CloudflareSandboxStub } from "./cloudflare-stub.ts";
import { CLOUDFLARE_API_GRANT, cloudflareApiGrantHandler, modelApiHandlers } from "./cloudflare-outbound.ts";

export interface CloudflareSandboxEnv {
  Sandbox: DurableObjectNamespace<BaseSandbox>;
  BACKUP_BUCKET: R2Bucket;
}

/**
 * The production Sandbox. HTTPS is intercepted too (the model APIs and the Cloudflare API are
 * HTTPS-only): the SDK then starts the container with SANDBOX_INTERCEPT_HTTPS=1, and the
 * container trusts the Containers CA at /etc/cloudflare/certs/cloudflare-containers-ca.crt.
 */
export class Sandbox extends BaseSandbox {
  override interceptHttps = true;
}
// Assignments, not `static` class fields: the SDK's static setters put the handlers into its
// registry (keyed by class name), where its ContainerProxy looks them up; a static field would
// only shadow the setter and register nothing, and intercepted requests would go out unchanged.
Sandbox.outboundByHost = modelApiHandlers();
Sandbox.outboundHandlers = { [CLOUDFLARE_API_GRANT]: cloudflareApiGrantHandler() };

export function cloudflareSandboxProvider(env: CloudflareSandboxEnv, hostname: string): SandboxProvider {
  return createCloudflareSandboxProvider({
    resolve: (name): CloudflareSandboxStub => getSandbox(env.Sandbox, name),
    hostname,
    index: env.BACKUP_BUCKET,
  });
}
