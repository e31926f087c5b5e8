/** The bindings and variables the nightshift Worker runs with (see wrangler.jsonc). */
import type { Sandbox as SdkSandbox } from "@cloudflare/sandbox";
import type { RunParams } from "./jobs/run-params.ts";

export interface Env {
  DB: D1Database;
  RUN_WORKFLOW: Workflow<RunParams>;
  /** Bearer token for the API (a shared secret until roles arrive). */
  NIGHTSHIFT_TOKEN?: string;
  /** "local" under `npm start`; anything else is production. */
  NIGHTSHIFT_MODE?: string;
  /** Base URL of the Cloudflare API temporary deploys go to (the local emulator in local mode). */
  CLOUDFLARE_API_BASE_URL?: string;
  /** Local mode: the Sandbox host's URL. */
  SANDBOX_HOST_URL?: string;
  /** Local mode: the Sandbox host's bearer secret (a secret: from the stack's 0600 vars file, never argv). */
  SANDBOX_HOST_SECRET?: string;
  /**
   * Local mode: the Cloudflare API emulator's URL. Deployed `*.workers.dev` URLs are probed
   * through it, its claim pages say whether an account was claimed, and (with
   * NIGHTSHIFT_MODE=local and the API base pointing at it) its own terms are signed off automatically.
   */
  EMULATOR_URL?: string;
  /** wrangler's entry script inside the Sandbox (local mode binds the project's node_modules); default: `wrangler` on PATH. */
  SANDBOX_WRANGLER?: string;
  /** HMAC key for signed links and CSRF tokens (derived from NIGHTSHIFT_TOKEN when unset). */
  NIGHTSHIFT_SIGNING_KEY?: string;
  /** Public base URL of the inbox, used in links sent out in notifications. */
  NIGHTSHIFT_PUBLIC_URL?: string;
  /** Production: the Sandbox container Durable Object namespace and the R2 bucket for snapshots. */
  Sandbox?: DurableObjectNamespace<SdkSandbox>;
  BACKUP_BUCKET?: R2Bucket;
  /** Cloudflare Access: the team domain (`<team>.cloudflareaccess.com`) and the application's AUD tag. */
  ACCESS_TEAM_DOMAIN?: string;
  ACCESS_AUD?: string;
  /** Cloudflare Access: override of the certs URL, or an inline JWK set (air-gapped, tests). */
  ACCESS_CERTS_URL?: string;
  ACCESS_JWKS?: string;
  /**
   * The organisation's own Cloudflare account: what claims land in, what the `deploy`
   * promotion deploys to, and where production DNS lives. The token is a secret of the
   * orchestrator: it never reaches a Sandbox (the `deploy` promotion goes through an
   * egress-proxy grant scoped to that one step).
   */
  CLOUDFLARE_ACCOUNT_ID?: string;
  CLOUDFLARE_API_TOKEN?: string;
  /** Local mode: the egress proxy's URL (model APIs for CLI agents; Cloudflare API grants). */
  EGRESS_PROXY_URL?: string;
  /** Local mode: the egress proxy's admin secret, for opening and revoking grants. */
  EGRESS_PROXY_SECRET?: string;
  /** Outbound notifications: a Slack-compatible incoming-webhook URL. */
  NOTIFY_WEBHOOK_URL?: string;
}

/**
 * The orchestrator's own variables: never handed to an agent adapter, whatever a job's
 * `apiKeyEnv` names (a job could otherwise point a model client at the API token).
 * `EGRESS_PROXY_URL` is not among them: agents reach model APIs through it.
 */
export const ORCHESTRATOR_VARIABLES = [
  "DB",
  "RUN_WORKFLOW",
  "NIGHTSHIFT_TOKEN",
  "NIGHTSHIFT_MODE",
  "CLOUDFLARE_API_BASE_URL",
  "SANDBOX_HOST_URL",
  "SANDBOX_HOST_SECRET",
  "EMULATOR_URL",
  "SANDBOX_WRANGLER",
  "NIGHTSHIFT_SIGNING_KEY",
  "NIGHTSHIFT_PUBLIC_URL",
  "Sandbox",
  "BACKUP_BUCKET",
  "ACCESS_TEAM_DOMAIN",
  "ACCESS_AUD",
  "ACCESS_CERTS_URL",
  "ACCESS_JWKS",
  "CLOUDFLARE_ACCOUNT_ID",
  "CLOUDFLARE_API_TOKEN",
  "EGRESS_PROXY_SECRET",
  "NOTIFY_WEBHOOK_URL",
] as const satisfies readonly Exclude<keyof Env, "EGRESS_PROXY_URL">[];
