/**
 * Which version of a Worker is live, as Cloudflare reports it: the latest
 * deployment of the script (`GET /accounts/{A}/workers/scripts/{S}/deployments`,
 * newest first; cloudflare-api.md §3a). The verify step records it and
 * promotion reads it again, so an approval binds to what was verified and not
 * to whatever a Sandbox redeployed since (issue 15, item 3).
 *
 * The orchestrator reads it with its own fetch and the account's token; the
 * Sandbox is never asked what is deployed. Expected outcomes are values (no
 * token, no such Worker: `null`); transient faults (network, 5xx, 429) throw
 * so the step retries. Worker-safe.
 */
import { z } from "zod";
import type { Observation, ObserveRequest } from "../../ports/deployer.ts";
import type { OrganisationAccount } from "../cloudflare/organisation.ts";
import { checkClaim } from "./claim-check.ts";

export class CloudflareApiUnavailable extends Error {
  override readonly name = "CloudflareApiUnavailable";
}

const deploymentsSchema = z.object({
  success: z.literal(true),
  result: z.object({
    deployments: z.array(
      z.object({ versions: z.array(z.object({ version_id: z.string().min(1), percentage: z.number() })) }),
    ),
  }),
});

export interface VersionQuery {
  apiBase: string;
  accountId: string;
  token: string;
  workerName: string;
  fetch: typeof fetch;
}

/**
 * The live version of the Worker: the id of the version at 100 % of its latest deployment, or,
 * for a split deployment, every `id@percent` sorted (any change of the split is a change).
 * Null when the account has no such Worker or the token is refused.
 *
 * @example
 * await readDeployedVersion({ apiBase, accountId, token, workerName: "hello", fetch }) // "7f…-…"
 */
export async function readDeployedVersion(query: VersionQuery): Promise<string | null> {
  const base = query.apiBase.replace(/\/+$/, "");
  const url = `${base}/accounts/${encodeURIComponent(query.accountId)}/workers/scripts/${encodeURIComponent(query.workerName)}/deployments`;
  let response: Response;
  try {
    response = await query.fetch(url, { headers: { authorization: `Bearer ${query.token}` } });
  } catch (error) {
    throw new CloudflareApiUnavailable(`the Cloudflare API is unreachable: ${(error as Error).message}`);
  }
  if (response.status === 429 || response.status >= 500) {
    await response.body?.cancel();
    throw new CloudflareApiUnavailable(`the Cloudflare API answered ${response.status} for the deployments`);
  }
  const body = (await response.json().catch(() => null)) as unknown;
  const parsed = deploymentsSchema.safeParse(body);
  // 403 (token refused, account gone after a claim), 404 (no such Worker): nothing to read.
  if (!response.ok || !parsed.success) return null;
  const latest = parsed.data.result.deployments[0];
  if (!latest || latest.versions.length === 0) return null;
  const whole = latest.versions.find((v) => v.percentage >= 100);
  if (whole) return whole.version_id;
  return latest.versions
    .map((v) => `${v.version_id}@${v.percentage}`)
    .sort()
    .join(",");
}

export interface ObserveOptions {
  apiBase: string;
  emulatorUrl?: string;
  organisation?: OrganisationAccount;
  /** The temporary account's token as the orchestrator holds it; null when it holds none. */
  accountToken?: (request: { runId: string; accountId: string }) => Promise<string | null>;
  fetch: typeof fetch;
}

/**
 * The run's Worker as Cloudflare sees it now: the claim page (claimed, and when), then the
 * live version, in the organisation's account once claimed there, else in the temporary one.
 */
export async function observeDeployment(
  options: ObserveOptions,
  request: ObserveRequest,
): Promise<Observation> {
  const { account } = request;
  const org = options.organisation;
  const versionInOrganisation = async (o: NonNullable<typeof org>): Promise<Observation["version"]> => {
    const id = await readDeployedVersion({
      apiBase: o.apiBase,
      accountId: o.accountId,
      token: o.apiToken,
      workerName: request.workerName,
      fetch: o.fetch ?? options.fetch,
    });
    return id ? { id, where: "organisation" } : null;
  };
  if (request.in === "organisation") {
    const claim = { status: "unknown" as const, at: null, how: "the organisation's account was asked" };
    if (!org) return { version: null, claim };
    return { version: await versionInOrganisation(org), claim };
  }
  if (!account)
    return { version: null, claim: { status: "unknown", at: null, how: "no temporary account yet" } };
  const page = await checkClaim(account.claimUrl, {
    ...(options.emulatorUrl ? { emulatorUrl: options.emulatorUrl } : {}),
    fetch: options.fetch,
  });
  const claim = { status: page.status, at: page.claimedAt ?? null, how: page.how };
  if (request.claimOnly) return { version: null, claim };
  if (page.status === "claimed" && org) {
    return { version: await versionInOrganisation(org), claim };
  }
  // The token the orchestrator holds for the run's account (captured by the deploy step's grant).
  const token = (await options.accountToken?.({ runId: request.runId, accountId: account.id })) ?? null;
  if (!token) return { version: null, claim };
  const id = await readDeployedVersion({
    apiBase: options.apiBase,
    accountId: account.id,
    token,
    workerName: request.workerName,
    fetch: options.fetch,
  });
  return { version: id ? { id, where: "temporary" } : null, claim };
}
