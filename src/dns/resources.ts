/**
 * The three kinds of resource a DNS plan touches (a DNS record, a Workers
 * custom domain, a Workers route): their stable keys, how two states of one
 * resource compare (ids aside), and how they read in a message. Pure.
 */
import type { DnsResource } from "../ports/dns.ts";
import { normalizeHostname, patternHostname } from "./names.ts";

export type DnsRecordResource = Extract<DnsResource, { kind: "record" }>;
export type CustomDomainResource = Extract<DnsResource, { kind: "custom-domain" }>;
export type WorkerRouteResource = Extract<DnsResource, { kind: "route" }>;

/** What the API holds for one zone (only the names a plan asks about need be there). */
export interface CurrentDns {
  records: DnsRecordResource[];
  customDomains: CustomDomainResource[];
  routes: WorkerRouteResource[];
}

export function recordKey(type: string, name: string): string {
  return `record:${type.toUpperCase()}:${normalizeHostname(name)}`;
}

export function customDomainKey(hostname: string): string {
  return `custom-domain:${normalizeHostname(hostname)}`;
}

export function routeKey(pattern: string): string {
  return `route:${pattern.toLowerCase()}`;
}

export function resourceKey(resource: DnsResource): string {
  switch (resource.kind) {
    case "record":
      return recordKey(resource.type, resource.name);
    case "custom-domain":
      return customDomainKey(resource.hostname);
    case "route":
      return routeKey(resource.pattern);
  }
}

/** The hostname a resource is about (what the policy checks). */
export function resourceHostname(resource: DnsResource): string {
  switch (resource.kind) {
    case "record":
      return normalizeHostname(resource.name);
    case "custom-domain":
      return normalizeHostname(resource.hostname);
    case "route":
      return patternHostname(resource.pattern);
  }
}

/** Types whose content is a hostname or an address: compared without case or trailing dot. */
const NAME_CONTENT = new Set(["A", "AAAA", "CNAME", "NS", "MX", "PTR"]);

export function sameContent(type: string, a: string, b: string): boolean {
  if (!NAME_CONTENT.has(type.toUpperCase())) return a === b;
  return normalizeHostname(a) === normalizeHostname(b);
}

/** Whether two states of a resource are the same, ignoring ids (null is "absent"). */
export function sameResource(a: DnsResource | null, b: DnsResource | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind === "record" && b.kind === "record") {
    return (
      a.type.toUpperCase() === b.type.toUpperCase() &&
      normalizeHostname(a.name) === normalizeHostname(b.name) &&
      sameContent(a.type, a.content, b.content) &&
      a.proxied === b.proxied &&
      a.ttl === b.ttl
    );
  }
  if (a.kind === "custom-domain" && b.kind === "custom-domain") {
    return normalizeHostname(a.hostname) === normalizeHostname(b.hostname) && a.service === b.service;
  }
  if (a.kind === "route" && b.kind === "route") {
    return a.pattern.toLowerCase() === b.pattern.toLowerCase() && a.script === b.script;
  }
  return false;
}

/** One line for messages: `AAAA app.example.com 100:: (proxied, ttl auto)`, `absent`, … */
export function describeResource(resource: DnsResource | null): string {
  if (resource === null) return "absent";
  switch (resource.kind) {
    case "record":
      return `${resource.type} ${resource.name} ${resource.content} (${resource.proxied ? "proxied" : "DNS only"}, ttl ${resource.ttl === 1 ? "auto" : resource.ttl})`;
    case "custom-domain":
      return `custom domain ${resource.hostname} → Worker ${resource.service}`;
    case "route":
      return `route ${resource.pattern} → Worker ${resource.script}`;
  }
}
