/**
 * The one place that wires bindings to adapters. Local mode (`npm start`)
 * points the Sandbox port at the local Sandbox host, deploys with wrangler
 * inside it to the local Cloudflare API emulator and probes the deployed
 * Workers through the emulator; adapters not built yet answer with clear,
 * expected failures (see adapters/unconfigured).
 */
import { type AgentSecrets, agentFor as agentForJob } from "./adapters/agent/index.ts";
import type { OrganisationAccount } from "./adapters/cloudflare/organisation.ts";
import { createCloudflareDns } from "./adapters/dns/cloudflare.ts";
import { createWranglerDeployer, type SignoffOnRecord } from "./adapters/deploy/wrangler-temporary.ts";
import { deployRetryWithin } from "./adapters/deploy/wrangler-step.ts";
import { d1NotificationLog } from "./adapters/notifier/d1-log.ts";
import { createWebhookNotifier } from "./adapters/notifier/webhook.ts";
import { createLocalSandboxProvider } from "./adapters/sandbox/local.ts";
import { logNotifier, missingDns, missingSandboxes } from "./adapters/unconfigured/index.ts";
import { createHttpVerifier } from "./adapters/verify/http-verifier.ts";
import { type Env, ORCHESTRATOR_VARIABLES } from "./env.ts";
import { gateLinks } from "./gates/links.ts";
import { systemClock } from "./ports/clock.ts";
import { toLocalUrl } from "./ports/emulator-urls.ts";
import { stepPolicy } from "./run/step-policy.ts";
import type { AutomaticSignoff, Ports } from "./ports/index.ts";
import type { Notifier } from "./ports/notifier.ts";
import { heldAccountOf, heldToken, holdAccount } from "./store/account-secrets.ts";
import { putArtifact } from "./store/artifacts.ts";
import { idempotencyJournal } from "./store/idempotency.ts";
import { findGateSignoff, findSignoff } from "./store/signoffs.ts";
import { cloudflareSandboxProvider } from "./adapters/sandbox/cloudflare-binding.ts";

export const DEFAULT_API_BASE = "https://api.cloudflare.com/client/v4";

export function portsFor(env: Env): Ports {
  const apiBase = env.CLOUDFLARE_API_BASE_URL ?? DEFAULT_API_BASE;
  const emulatorUrl = env.EMULATOR_URL?.replace(/\/+$/, "");
  const organisation = organisationOf(env, apiBase);
  return {
    sandboxes: env.SANDBOX_HOST_URL
      ? createLocalSandboxProvider({
          url: env.SANDBOX_HOST_URL,
          ...(env.SANDBOX_HOST_SECRET ? { secret: env.SANDBOX_HOST_SECRET } : {}),
        })
      : env.Sandbox && env.BACKUP_BUCKET && env.NIGHTSHIFT_PUBLIC_URL
        ? cloudflareSandboxProvider(
            { Sandbox: env.Sandbox, BACKUP_BUCKET: env.BACKUP_BUCKET },
            new URL(env.NIGHTSHIFT_PUBLIC_URL).hostname,
          )
        : missingSandboxes(
            "no Sandbox is configured: set SANDBOX_HOST_URL (local mode), or bind the Sandbox container and BACKUP_BUCKET and set NIGHTSHIFT_PUBLIC_URL (production)",
          ),
    // Real agents read their keys here, in the Worker; CLIs get only EGRESS_PROXY_URL.
    agentFor: (spec) =>
      agentForJob(spec, agentSecrets(env), { saveArtifact: (artifact) => putArtifact(env.DB, artifact) }),
    deployer: createWranglerDeployer({
      apiBase,
      wrangler: env.SANDBOX_WRANGLER ? ["node", env.SANDBOX_WRANGLER] : ["wrangler"],
      findSignoff: ({ apiBase, runId }) => signoffOnRecord(env.DB, apiBase, runId),
      putLog: (log) => putArtifact(env.DB, { ...log, at: systemClock.now() }),
      ...(emulatorUrl ? { emulatorUrl } : {}),
      ...(organisation ? { organisation } : {}),
      grants: { EGRESS_PROXY_URL: env.EGRESS_PROXY_URL, EGRESS_PROXY_SECRET: env.EGRESS_PROXY_SECRET },
      // The temporary account's token and claim URL are held here, never in the Sandbox (issue 15).
      accounts: {
        held: (runId) => heldAccountOf(env.DB, runId),
        hold: (runId, account) => holdAccount(env.DB, runId, account, systemClock.now()),
      },
      accountToken: ({ runId, accountId }) => heldToken(env.DB, runId, accountId),
      // Each wrangler run gets a deadline of its own, and all the tries fit in the step's timeout.
      retry: deployRetryWithin(Math.min(stepPolicy("deploy").timeout, stepPolicy("promote").timeout)),
    }),
    verifier: createHttpVerifier(emulatorUrl ? { resolveUrl: (url) => toLocalUrl(url, emulatorUrl) } : {}),
    dns: organisation
      ? createCloudflareDns({
          ...organisation,
          journal: idempotencyJournal(env.DB, "dns", systemClock.now),
          now: systemClock.now,
        })
      : missingDns,
    notifier: notifierFor(env),
    clock: systemClock,
    apiBase,
    automaticSignoff: automaticSignoffFor(env, apiBase, emulatorUrl),
  };
}

/** The webhook Notifier (a D1 log for idempotency, signed links on gate notices), else the log. */
export function notifierFor(env: Env): Notifier {
  if (!env.NOTIFY_WEBHOOK_URL) return logNotifier;
  return createWebhookNotifier({
    url: env.NOTIFY_WEBHOOK_URL,
    log: d1NotificationLog(env.DB),
    linksFor: gateLinks(env),
  });
}

/** What an agent adapter may read by name: the string variables that are not the orchestrator's own. */
function agentSecrets(env: Env): AgentSecrets {
  const own = new Set<string>(ORCHESTRATOR_VARIABLES);
  return Object.fromEntries(
    Object.entries(env).filter(([name, value]) => typeof value === "string" && !own.has(name)),
  );
}

/** The organisation's own account, when its id and token are configured. */
function organisationOf(env: Env, apiBase: string): OrganisationAccount | null {
  if (!env.CLOUDFLARE_ACCOUNT_ID || !env.CLOUDFLARE_API_TOKEN) return null;
  return { apiBase, accountId: env.CLOUDFLARE_ACCOUNT_ID, apiToken: env.CLOUDFLARE_API_TOKEN };
}

/** A sign-off row for the API base, else the run's own approved `tos` gate for it. */
async function signoffOnRecord(
  db: D1Database,
  apiBase: string,
  runId: string,
): Promise<SignoffOnRecord | null> {
  const row = await findSignoff(db, apiBase);
  if (row) return { id: row.id, signedBy: row.signed_by, automatic: row.automatic };
  const gate = await findGateSignoff(db, runId, apiBase);
  return gate ? { id: gate.gateId, signedBy: gate.decidedBy, automatic: false } : null;
}

/**
 * Only local mode talking to the local emulator gets an automatic sign-off:
 * the emulator has no real terms and nothing leaves the machine. Any other
 * API base (real Cloudflare, staging, another host) needs a legal sign-off.
 */
function automaticSignoffFor(
  env: Env,
  apiBase: string,
  emulatorUrl: string | undefined,
): AutomaticSignoff | null {
  if (env.NIGHTSHIFT_MODE !== "local" || !emulatorUrl || apiBase !== `${emulatorUrl}/client/v4`) return null;
  return {
    termsUrl: `${emulatorUrl}/__emulator/terms`,
    privacyUrl: `${emulatorUrl}/__emulator/terms#privacy`,
    note: "local mode: the API base is nightshift's own Cloudflare API emulator on this machine; no Cloudflare terms apply",
  };
}
