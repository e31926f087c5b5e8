/**
 * Where the DNS adapter writes down each change it made, keyed by
 * `<idempotencyKey>:<index of the change in the plan>`, so a retried apply
 * knows what an earlier attempt did without asking Cloudflare. The Worker gives
 * it the D1 `idempotency` table, scope `dns` (`src/wiring.ts`).
 */
import { z } from "zod";
import { dnsResourceSchema } from "../../ports/dns.ts";

export const dnsJournalEntrySchema = z.object({
  key: z.string(),
  action: z.enum(["create", "update", "delete"]),
  /** The resource as the API left it; null once deleted. */
  result: dnsResourceSchema.nullable(),
});
export type DnsJournalEntry = z.infer<typeof dnsJournalEntrySchema>;

export interface DnsJournal {
  recall(key: string): Promise<unknown>;
  remember(key: string, value: DnsJournalEntry): Promise<void>;
}

/** A recalled value as an entry, or null when there is none or it is not one (then the adapter re-reads the API). */
export function parseJournalEntry(value: unknown): DnsJournalEntry | null {
  const parsed = dnsJournalEntrySchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
