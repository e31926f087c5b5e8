/**
 * The one place that wires bindings to adapters. Local mode (`npm start`)
 * points the Sandbox port at the local Sandbox host; adapters not built yet
 * answer with clear, expected failures (see adapters/unconfigured).
 */
import { createLocalSandboxProvider } from "./adapters/sandbox/local.ts";
import {
  logNotifier,
  missingAgent,
  missingDeployer,
  missingDns,
  missingSandboxes,
  missingVerifier,
} from "./adapters/unconfigured/index.ts";
import type { Env } from "./env.ts";
import { systemClock } from "./ports/clock.ts";
import type { Ports } from "./ports/index.ts";

export const DEFAULT_API_BASE = "https://api.cloudflare.com/client/v4";

export function portsFor(env: Env): Ports {
  return {
    sandboxes: env.SANDBOX_HOST_URL
      ? createLocalSandboxProvider({ url: env.SANDBOX_HOST_URL })
      : missingSandboxes(
          "no Sandbox is configured: set SANDBOX_HOST_URL (local mode) or bind the Sandbox container",
        ),
    agentFor: (spec) => missingAgent(spec.adapter),
    deployer: missingDeployer,
    verifier: missingVerifier,
    dns: missingDns,
    notifier: logNotifier,
    clock: systemClock,
    apiBase: env.CLOUDFLARE_API_BASE_URL ?? DEFAULT_API_BASE,
  };
}
