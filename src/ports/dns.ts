/**
 * The Dns port: a production DNS / custom-domain change, planned, applied once
 * and recorded with how to roll it back.
 */
import { z } from "zod";
import type { Result } from "./result.ts";

export const dnsPlanSchema = z.object({
  zone: z.string(),
  requestedHostname: z.string(),
  hostname: z.string(),
  mode: z.enum(["custom-domain", "route"]),
  workerName: z.string(),
  /** A planned hostname that differs from the requested one is flagged and blocked. */
  mismatch: z.boolean(),
});
export type DnsPlan = z.infer<typeof dnsPlanSchema>;

export interface DnsApplied {
  changes: Array<{ kind: string; id: string; hostname: string }>;
  rollback: Array<{ method: string; path: string }>;
}

export interface Dns {
  apply(request: {
    idempotencyKey: string;
    runId: string;
    plan: DnsPlan;
  }): Promise<
    Result<DnsApplied, { code: "hostname_mismatch" | "zone_not_found" | "apply_failed"; message: string }>
  >;
}
