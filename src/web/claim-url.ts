/**
 * The claim URL is a credential: whoever opens it takes the temporary account
 * and the Worker in it (issue 15, item 6). It is shown only to principals who
 * may decide the run's claim gate (`mayDecide`); everyone else gets the same
 * views with `claimUrl: null` and `claimUrlHidden: true`. Audit events never
 * carry it: their data is redacted for every reader. Pure: no I/O.
 */
import { mayDecide, type Principal } from "./roles.ts";

/** What `mayDecide` needs about a run's claim gate: its approvers (the gate row's, or the job's policy). */
export interface ClaimPolicy {
  runId: string;
  approvers: readonly string[];
}

/** Whether `principal` may see the claim URL of the run `policy` describes. */
export function maySeeClaimUrl(principal: Principal, policy: ClaimPolicy): boolean {
  return mayDecide(principal, { kind: "claim", approvers: policy.approvers, runId: policy.runId }).ok;
}

export const CLAIM_URL_HIDDEN = "[claim URL hidden]";

/**
 * `value` with every `claimUrl` field set to null (and `claimUrlHidden: true`
 * beside it), and every occurrence of a `secrets` string inside other strings
 * replaced, so an error message that quoted the URL does not leak it either.
 *
 * @example
 * hideClaimUrl({ account: { id: "a", claimUrl: "https://x/claim/t" } }, ["https://x/claim/t"])
 * // { account: { id: "a", claimUrl: null, claimUrlHidden: true } }
 */
export function hideClaimUrl<T>(value: T, secrets: readonly string[] = []): T {
  const known = secrets.filter((s) => s.length > 0);
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return known.reduce((text, s) => text.split(s).join(CLAIM_URL_HIDDEN), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== "object") return v;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(v)) {
      if (key === "claimUrl") {
        out.claimUrl = null;
        if (inner !== null && inner !== undefined) out.claimUrlHidden = true;
      } else out[key] = walk(inner);
    }
    return out;
  };
  return walk(value) as T;
}

/** Every claim URL a value holds (the run's context, a gate's shown data), to scrub from free text. */
export function claimUrlsIn(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object")
      for (const [key, inner] of Object.entries(v)) {
        if (key === "claimUrl" && typeof inner === "string") found.add(inner);
        else walk(inner);
      }
  };
  walk(value);
  return [...found];
}
