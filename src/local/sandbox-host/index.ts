/**
 * The local Sandbox host: `startSandboxHost(options)` → `{ url, close() }`.
 * Checks its isolation at start-up (bubblewrap, or a loud refusal unless
 * `unsafeNoBwrap`), picks overlay snapshots or the copy fallback, recovers
 * from a previous host that was killed, and serves the HTTP API of routes.ts.
 *
 * @example
 * const host = await startSandboxHost({ port: 0, stateDir: ".nightshift/sandboxes" });
 * const provider = createLocalSandboxProvider({ url: host.url, secret: host.secret });
 * await provider.get("run-1").exec("node -v");
 * await host.close();
 */
import { constants } from "node:fs";
import { access, mkdir, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join, resolve } from "node:path";
import { z } from "zod";
import { newSecret } from "../bearer-secret.ts";
import { caBundleEnv, certificatesIn, SANDBOX_CA_BUNDLE, systemCertificates } from "../host-trust.ts";
import { AfterAnswer } from "./after-answer.ts";
import { IdempotencyStore } from "./idempotency.ts";
import { describeLimits } from "./limits.ts";
import { HostLimits } from "./limits-host.ts";
import { SandboxManager } from "./manager.ts";
import { type HealthInfo, sandboxRoutes } from "./routes.ts";
import { bindTargetProblem } from "./bwrap-args.ts";
import type { Isolation } from "./runner.ts";
import { serve } from "./serve.ts";
import { findNetnsTools, type NetnsTools, probeNetns } from "./netns.ts";
import { probeOverlay, which } from "./system.ts";

export const SandboxHostOptionsSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).default(8789),
  host: z.string().default("127.0.0.1"),
  /**
   * The bearer secret every route but `/health` demands (`Authorization: Bearer <secret>`).
   * Default: random per start, read back from `SandboxHost.secret`. Never put it on a command line.
   */
  secret: z.string().min(16, "the secret must be at least 16 characters").optional(),
  stateDir: z.string().default(".nightshift/sandboxes"),
  /**
   * `isolated` (default): each Sandbox has a network namespace of its own, with only its loopback
   * and the `gateways`; `none`: the same without gateways; `host`: commands share the host's
   * network, every port of the machine included (trusted code only).
   */
  network: z.enum(["isolated", "none", "host"]).default("isolated"),
  /** Ports of the host's loopback reachable from inside every `isolated` Sandbox at the same address (the egress proxy). */
  gateways: z.array(z.strictObject({ port: z.number().int().min(1).max(65535) })).default([]),
  /**
   * Variables every command starts with, under the caller's own (e.g. `HTTPS_PROXY` naming the
   * egress proxy, so package managers reach allowlisted registries through it).
   */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a variable name"), z.string()).default({}),
  /**
   * Extra CA certificates (PEM) the host trusts and the system's roots lack, e.g. a TLS-inspecting
   * proxy's root (src/local/host-trust.ts finds them). Given any, every command sees the system's
   * roots plus these, read-only, at /etc/nightshift/ca-certificates.pem, named by
   * NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, npm_config_cafile and the like. Only certificate blocks
   * are kept from what is given.
   */
  caCertificates: z.array(z.string()).default([]),
  /** Run commands unconfined when bubblewrap is missing. Never in CI or with untrusted code. */
  unsafeNoBwrap: z.boolean().default(false),
  /** Force the copy fallback even where overlay mounts work (tests, comparisons). */
  snapshotMode: z.enum(["auto", "overlay", "copy"]).default("auto"),
  /** The bubblewrap binary (default: `bwrap` on PATH). A path that does not exist counts as missing. */
  bwrapPath: z.string().optional(),
  /** Node binary bound at /opt/node/bin/node inside every Sandbox (default: this process's). */
  nodeBinary: z.string().optional(),
  /**
   * Host directories every Sandbox sees read-only, e.g. the project's `workflows/` at
   * `/sources/workflows` (directory job sources) and its `node_modules` (wrangler for deploys).
   * Only under bubblewrap: unconfined commands see the host's paths as they are.
   */
  readOnlyBinds: z
    .array(
      z.strictObject({
        source: z.string().min(1),
        target: z.string().superRefine((target, ctx) => {
          const problem = bindTargetProblem(target);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }),
      }),
    )
    .default([]),
  keepSnapshots: z.number().int().min(1).default(10),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  maxTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(60 * 60_000),
  maxOutputBytes: z
    .number()
    .int()
    .positive()
    .default(16 << 20),
  quotaBytes: z
    .number()
    .int()
    .positive()
    .default(20 * 2 ** 30),
  idleMs: z
    .number()
    .int()
    .positive()
    .default(15 * 60_000),
  // ---- resource limits per Sandbox (limits.ts), held by the kernel while commands run
  /** Memory (cgroup, swap included): `npm ci` of a large project, wrangler dev and an agent fit in 2 GiB. */
  memoryBytes: z
    .number()
    .int()
    .min(16 << 20)
    .default(2 * 2 ** 30),
  /** Processes and threads (pids cgroup): node and workerd run ~10-30 threads each. */
  maxProcesses: z.number().int().min(8).default(1024),
  /** Size of each Sandbox's /home/sandbox + /tmp filesystem (sparse: costs only what is written). */
  scratchBytes: z
    .number()
    .int()
    .min(8 << 20)
    .default(8 * 2 ** 30),
  /** `require`: refuse to start where a limit cannot be enforced; `auto`: start with a FALLBACK line. */
  resourceLimits: z.enum(["auto", "require"]).default("auto"),
  /** Where the start-up line goes; tests silence it. */
  log: z.custom<(line: string) => void>((v) => typeof v === "function").optional(),
});
export type SandboxHostOptions = z.input<typeof SandboxHostOptionsSchema>;

export interface SandboxHost {
  url: string;
  /** The bearer secret the host demands: for its clients only (never logged, never on argv). */
  secret: string;
  health: HealthInfo;
  close(): Promise<void>;
}

export class SandboxHostStartError extends Error {
  override readonly name = "SandboxHostStartError";
}

export async function startSandboxHost(input: SandboxHostOptions = {}): Promise<SandboxHost> {
  const parsed = SandboxHostOptionsSchema.safeParse(input);
  if (!parsed.success) throw new SandboxHostStartError(`bad options: ${parsed.error.issues[0]?.message}`);
  const o = parsed.data;
  const log = o.log ?? ((line: string) => console.error(line));
  const stateDir = resolve(o.stateDir);
  const nodeBinary = o.nodeBinary ?? process.execPath;

  const bwrap = o.bwrapPath ? await executable(o.bwrapPath) : await which("bwrap");
  const readOnlyBinds = o.readOnlyBinds.map((b) => ({ source: resolve(b.source), target: b.target }));
  for (const bind of readOnlyBinds) {
    if (!(await exists(bind.source)))
      throw new SandboxHostStartError(`read-only bind source ${bind.source} does not exist`);
  }
  const caBundle = await writeCaBundle(stateDir, o.caCertificates);
  if (caBundle && bwrap) readOnlyBinds.push({ source: caBundle.path, target: SANDBOX_CA_BUNDLE });
  const caEnv = caBundle ? caBundleEnv(bwrap ? SANDBOX_CA_BUNDLE : caBundle.path) : {};
  let isolation: Isolation;
  if (bwrap) {
    isolation = { kind: "bwrap", bwrap, nodeBinary, network: o.network, readOnlyBinds };
  } else if (o.unsafeNoBwrap) {
    log(
      "!!! sandbox-host: bubblewrap (bwrap) NOT FOUND — running commands UNCONFINED on this machine (unsafe flag given)",
    );
    isolation = { kind: "unsafe", nodeBinary };
    if (readOnlyBinds.length)
      log("!!! sandbox-host: read-only binds are NOT applied without bubblewrap (commands see host paths)");
  } else {
    throw new SandboxHostStartError(
      "bubblewrap (bwrap) not found: install it (apt-get install -y bubblewrap) or pass --unsafe-no-bwrap to run commands unconfined",
    );
  }

  // A Sandbox's own network needs namespaces; without them the host refuses to start rather
  // than quietly sharing its network with the code it runs.
  let netns: { tools: NetnsTools; gateways: { port: number }[] } | null = null;
  if (isolation.kind === "bwrap" && o.network !== "host") {
    const tools = await findNetnsTools(which, nodeBinary);
    if ("missing" in tools)
      throw new SandboxHostStartError(
        `${tools.missing} not found: a Sandbox's own network needs it (apt-get install -y util-linux iproute2), or pass --network host to share this machine's network with the Sandboxes`,
      );
    const refused = await probeNetns(tools, join(stateDir, "trash"));
    if (refused)
      throw new SandboxHostStartError(
        `network namespaces refused (${refused.refused}): run as root, or pass --network host to share this machine's network with the Sandboxes`,
      );
    netns = { tools, gateways: o.gateways };
  } else if (isolation.kind === "bwrap") {
    log(
      "!!! sandbox-host: network host — Sandboxes SHARE this machine's network: every local port is reachable from them",
    );
  }

  let mode: "overlay" | "copy" = o.snapshotMode === "copy" ? "copy" : "overlay";
  let fallbackReason: string | null = o.snapshotMode === "copy" ? "copy mode requested" : null;
  let volatile = false;
  if (mode === "overlay") {
    const probe = await probeOverlay(join(stateDir, "trash"));
    if ("refused" in probe) {
      if (o.snapshotMode === "overlay")
        throw new SandboxHostStartError(`overlay mounts refused: ${probe.refused}`);
      mode = "copy";
      fallbackReason = `overlay mount refused (${probe.refused}); snapshots and restores copy the whole workspace`;
    } else {
      volatile = probe.volatile;
    }
  }

  const resourceLimits = await HostLimits.probe(stateDir, {
    memoryBytes: o.memoryBytes,
    maxProcesses: o.maxProcesses,
    scratchBytes: o.scratchBytes,
    quotaBytes: o.quotaBytes,
  });
  if (o.resourceLimits === "require" && resourceLimits.health.fallbackReasons.length)
    throw new SandboxHostStartError(
      `resource limits cannot be enforced: ${resourceLimits.health.fallbackReasons.join("; ")}`,
    );

  const afterAnswer = new AfterAnswer();
  const manager = new SandboxManager({
    stateDir,
    mode,
    volatile,
    isolation,
    network: o.network,
    netns,
    baseEnv: { ...caEnv, ...o.env },
    publicHost: o.host === "0.0.0.0" || o.host === "::" ? "127.0.0.1" : o.host,
    keepSnapshots: o.keepSnapshots,
    afterAnswer,
    resourceLimits,
    limits: {
      timeoutMs: o.timeoutMs,
      maxTimeoutMs: o.maxTimeoutMs,
      maxOutputBytes: o.maxOutputBytes,
      quotaBytes: o.quotaBytes,
      idleMs: o.idleMs,
    },
  });
  await manager.init();

  const health: HealthInfo = {
    ok: true,
    isolation: isolation.kind === "bwrap" ? "bwrap" : "unsafe-no-isolation",
    snapshots: mode,
    snapshotsFallbackReason: fallbackReason,
    network: o.network,
    stateDir,
    limits: resourceLimits.health,
  };
  const secret = o.secret ?? newSecret();
  const app = sandboxRoutes({
    secret,
    manager,
    idempotency: new IdempotencyStore(join(stateDir, "idempotency")),
    health,
  });
  const { server, url } = await serve((request) => Promise.resolve(app.fetch(request)), {
    port: o.port,
    host: o.host,
    afterAnswer,
  });
  log(
    `sandbox-host: ${url} · isolation ${health.isolation} · snapshots ${mode}` +
      (fallbackReason && mode === "copy" ? ` (FALLBACK: ${fallbackReason})` : "") +
      ` · network ${o.network}${netns && o.network === "isolated" ? ` (gateways: ${o.gateways.map((g) => g.port).join(", ") || "none"})` : ""} · ${describeLimits(resourceLimits.health)}` +
      (caBundle ? ` · CA certificates: ${caBundle.extra} extra` : "") +
      ` · state ${stateDir}`,
  );
  return {
    url,
    secret,
    health,
    close: async () => {
      await closeServer(server);
      await manager.close();
      await resourceLimits.close();
    },
  };
}

/**
 * The bundle every command is pointed at: the system's roots and the extras, certificates only,
 * in the state dir (mode 0644: certificates are public). Null without extras: the system's
 * roots are visible as they are (/etc/ssl).
 */
async function writeCaBundle(
  stateDir: string,
  given: readonly string[],
): Promise<{ path: string; extra: number } | null> {
  const extra = given.flatMap((pem) => certificatesIn(pem));
  if (!extra.length) return null;
  const bundle = [...new Set([...(await systemCertificates()), ...extra])];
  const path = join(stateDir, "ca-certificates.pem");
  await mkdir(stateDir, { recursive: true });
  await writeFile(path, bundle.join(""), { mode: 0o644 });
  return { path, extra: extra.length };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

async function executable(path: string): Promise<string | null> {
  try {
    await access(path, constants.X_OK);
    return path;
  } catch {
    return null;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
