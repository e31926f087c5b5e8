/**
 * Ports with no adapter installed yet. They fail the way a misconfigured
 * deployment should: as expected failures with a message that says what is
 * missing, so a run ends `failed` with that reason instead of hanging.
 */
import type { Agent } from "../../ports/agent.ts";
import type { Deployer } from "../../ports/deployer.ts";
import type { Dns } from "../../ports/dns.ts";
import type { Notifier } from "../../ports/notifier.ts";
import { err } from "../../ports/result.ts";
import { SandboxError, type SandboxProvider } from "../../ports/sandbox.ts";
import type { Verifier } from "../../ports/verifier.ts";

export function missingAgent(adapter: string): Agent {
  return {
    name: adapter,
    write: async () =>
      err({ code: "agent_failed", message: `no agent adapter "${adapter}" is installed in this deployment` }),
  };
}

export const missingDeployer: Deployer = {
  deploy: async () =>
    err({ code: "deploy_failed", message: "no deployer is configured in this deployment", logRef: null }),
  promote: async () =>
    err({ code: "deploy_failed", message: "no deployer is configured in this deployment", logRef: null }),
  observe: async () => ({
    version: null,
    claim: { status: "unknown", at: null, how: "no deployer is configured in this deployment" },
  }),
};

export const missingVerifier: Verifier = {
  verify: async (request) => ({
    passed: false,
    url: request.url,
    checks: [
      {
        name: "verifier configured",
        kind: "probe",
        passed: false,
        expected: "a verifier adapter",
        actual: "none configured",
        excerpt: "",
        durationMs: 0,
      },
    ],
  }),
};

const NO_DNS =
  "no DNS adapter is configured: set CLOUDFLARE_ACCOUNT_ID and the CLOUDFLARE_API_TOKEN secret (the organisation's account)";
export const missingDns: Dns = {
  plan: async () => err({ code: "not_configured", message: NO_DNS }),
  apply: async () => err({ code: "not_configured", message: NO_DNS }),
};

/** Notifications are best-effort until a channel is configured: logged, never lost silently. */
export const logNotifier: Notifier = {
  notify: async (n) => {
    console.log(`nightshift notify [${n.kind}] ${n.title}`);
  },
};

export function missingSandboxes(why: string): SandboxProvider {
  const fail = (): never => {
    throw new SandboxError("unavailable", why);
  };
  return { get: fail, listSnapshots: async () => fail(), pinSnapshot: async () => fail() };
}
