/** Builders for the DNS tests: a job's desired DNS and resources as the API would hold them. */
import type { CurrentDns, DnsRecordResource } from "../../src/dns/resources.ts";
import type { DesiredDns } from "../../src/ports/dns.ts";

export function desired(over: Partial<DesiredDns> = {}): DesiredDns {
  const hostname = over.hostname ?? "app.example.com";
  return {
    zone: "example.com",
    requestedHostname: hostname,
    hostname,
    mode: "custom-domain",
    workerName: "shop",
    records: [],
    deletes: [],
    allow: { hostnames: [hostname], delete: false, wildcard: false, apex: false },
    ...over,
  };
}

export function record(
  id: string | null,
  type: string,
  name: string,
  content: string,
  extra: Partial<Pick<DnsRecordResource, "proxied" | "ttl">> = {},
): DnsRecordResource {
  return { kind: "record", id, type, name, content, proxied: false, ttl: 1, ...extra };
}

export function current(over: Partial<CurrentDns> = {}): CurrentDns {
  return { records: [], customDomains: [], routes: [], ...over };
}
