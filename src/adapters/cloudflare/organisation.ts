/**
 * The organisation's own Cloudflare account, seen through the official SDK:
 * is a Worker there yet (a claim landed), and what is its workers.dev URL.
 * The token is the orchestrator's secret; this runs in the Worker only.
 */
import { type CloudflareAccount, cloudflareClient } from "./api-client.ts";

/** The organisation's own account: where claims land and the `deploy` promotion goes. */
export type OrganisationAccount = CloudflareAccount;

/** The Worker's public URL in the organisation's account, or null while it is not there. */
export async function findOrganisationWorker(
  org: OrganisationAccount,
  workerName: string,
): Promise<string | null> {
  const client = cloudflareClient(org);
  const scripts = await client.workers.scripts.list({ account_id: org.accountId });
  const found = scripts.result.some((script) => script.id === workerName);
  if (!found) return null;
  const { subdomain } = await client.workers.subdomains.get({ account_id: org.accountId });
  return `https://${workerName}.${subdomain}.workers.dev`;
}
