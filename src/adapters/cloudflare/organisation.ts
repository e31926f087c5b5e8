/**
 * The organisation's own Cloudflare account, seen through the official SDK:
 * is a Worker there yet (a claim landed), and what is its workers.dev URL.
 * The token is the orchestrator's secret; this runs in the Worker only.
 */
import Cloudflare from "cloudflare";

export interface OrganisationAccount {
  apiBase: string;
  accountId: string;
  apiToken: string;
  fetch?: typeof fetch;
}

export function organisationClient(org: OrganisationAccount): Cloudflare {
  return new Cloudflare({
    apiToken: org.apiToken,
    baseURL: org.apiBase,
    // The SDK retries 429/5xx itself; a step that fails is retried by the Workflow.
    maxRetries: 2,
    ...(org.fetch ? { fetch: org.fetch } : {}),
  });
}

/** The Worker's public URL in the organisation's account, or null while it is not there. */
export async function findOrganisationWorker(
  org: OrganisationAccount,
  workerName: string,
): Promise<string | null> {
  const client = organisationClient(org);
  const scripts = await client.workers.scripts.list({ account_id: org.accountId });
  const found = scripts.result.some((script) => script.id === workerName);
  if (!found) return null;
  const { subdomain } = await client.workers.subdomains.get({ account_id: org.accountId });
  return `https://${workerName}.${subdomain}.workers.dev`;
}
