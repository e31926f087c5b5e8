/**
 * Wires the Cloudflare adapter to the real bindings: the Sandbox Durable
 * Object namespace (`getSandbox`) and the R2 bucket that holds the snapshot
 * index (the SDK keeps backups in BACKUP_BUCKET; the index can share it).
 * The only module here that imports `@cloudflare/sandbox` at runtime.
 */
import { getSandbox, type Sandbox as CloudflareSandboxDO } from "@cloudflare/sandbox";
import type { SandboxProvider } from "../../ports/sandbox.ts";
import { type CloudflareSandboxStub, createCloudflareSandboxProvider } from "./cloudflare.ts";

export interface CloudflareSandboxEnv {
  Sandbox: DurableObjectNamespace<CloudflareSandboxDO>;
  BACKUP_BUCKET: R2Bucket;
}

export function cloudflareSandboxProvider(env: CloudflareSandboxEnv, hostname: string): SandboxProvider {
  return createCloudflareSandboxProvider({
    resolve: (name): CloudflareSandboxStub => getSandbox(env.Sandbox, name),
    hostname,
    index: env.BACKUP_BUCKET,
  });
}
