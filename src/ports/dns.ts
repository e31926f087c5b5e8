/**
 * The Dns port: production DNS records, Workers custom domains and routes in
 * the organisation's own Cloudflare account. `plan` reads the zone and
 * computes the exact change (each resource before → after) and the policy
 * findings; `apply` makes each change once (a retried step finds its earlier
 * result) and returns the inverse plan, which is what a rollback applies.
 */
import type { DnsErrorCode, IdempotencyKey } from "./vocabulary.ts";
import { z } from "zod";
import type { Result } from "./result.ts";

export const dnsRecordSchema = z.object({
  kind: z.literal("record"),
  id: z.string().nullable(),
  type: z.string(),
  name: z.string(),
  content: z.string(),
  proxied: z.boolean(),
  ttl: z.number(),
});
export const customDomainSchema = z.object({
  kind: z.literal("custom-domain"),
  id: z.string().nullable(),
  hostname: z.string(),
  service: z.string(),
});
export const workerRouteSchema = z.object({
  kind: z.literal("route"),
  id: z.string().nullable(),
  pattern: z.string(),
  script: z.string(),
});
export const dnsResourceSchema = z.discriminatedUnion("kind", [
  dnsRecordSchema,
  customDomainSchema,
  workerRouteSchema,
]);
export type DnsResource = z.infer<typeof dnsResourceSchema>;

export const dnsChangeSchema = z.object({
  action: z.enum(["create", "update", "delete", "noop"]),
  /** Stable identity of the resource: `record:AAAA:app.example.com`, `custom-domain:app.example.com`, `route:app.example.com/*`. */
  key: z.string(),
  before: dnsResourceSchema.nullable(),
  after: dnsResourceSchema.nullable(),
});
export type DnsChange = z.infer<typeof dnsChangeSchema>;

export const POLICY_CODES = [
  "not_allowlisted",
  "near_miss",
  "hostname_mismatch",
  "deletion_not_allowed",
  "wildcard_not_allowed",
  "apex_not_allowed",
] as const;
export const policyFindingSchema = z.object({
  code: z.enum(POLICY_CODES),
  hostname: z.string(),
  message: z.string(),
  /** A blocking finding stops the run before the gate opens. */
  blocking: z.boolean(),
});
export type PolicyFinding = z.infer<typeof policyFindingSchema>;

export const dnsPlanSchema = z.object({
  zone: z.object({ id: z.string(), name: z.string() }),
  accountId: z.string(),
  /** What was asked for (the job's DNS section). */
  requestedHostname: z.string(),
  /** What the plan would serve (the verified project's custom domain, else the requested one). */
  hostname: z.string(),
  mode: z.enum(["custom-domain", "route"]),
  workerName: z.string(),
  changes: z.array(dnsChangeSchema),
  findings: z.array(policyFindingSchema),
  blocked: z.boolean(),
  /** When the zone was read (ms since epoch). */
  readAt: z.number(),
});
export type DnsPlan = z.infer<typeof dnsPlanSchema>;

/** What the job (and the verified project) ask for; see `dnsSchema` in src/jobs/schema.ts. */
export interface DesiredDns {
  zone: string;
  requestedHostname: string;
  hostname: string;
  mode: "custom-domain" | "route";
  workerName: string;
  records: Array<{ type: string; name: string; content: string; proxied: boolean; ttl: number }>;
  deletes: Array<{ type: string; name: string }>;
  allow: { hostnames: string[]; delete: boolean; wildcard: boolean; apex: boolean };
}

export interface DnsApplied {
  /** One entry per non-noop change, in plan order; `replayed` when an earlier attempt had already made it. */
  applied: Array<{ key: string; action: DnsChange["action"]; result: DnsResource | null; replayed: boolean }>;
  /** The changes that undo this apply, in the order to apply them. */
  inverse: DnsChange[];
}

export interface DnsError {
  code: DnsErrorCode;
  message: string;
}

export interface Dns {
  plan(request: { runId: string; desired: DesiredDns }): Promise<Result<DnsPlan, DnsError>>;
  /**
   * Applies each change of an approved plan once. Before each change the resource must
   * still be as the plan's `before` says (else `drift`: the approval is void), unless it
   * is already as `after` says (an earlier attempt made it: replayed, not sent again).
   */
  apply(request: {
    idempotencyKey: IdempotencyKey;
    runId: string;
    plan: DnsPlan;
  }): Promise<Result<DnsApplied, DnsError>>;
}
