/**
 * DNS record logic without I/O: name normalisation within a zone, the list
 * filters the `cloudflare` SDK sends (`name.exact`, `content.contains`, …),
 * ordering, conflict rules and the record's API shape.
 */
import type { DnsRecordRecord } from "./state.ts";

const PROXIABLE = new Set(["A", "AAAA", "CNAME"]);

export function isProxiable(type: string): boolean {
  return PROXIABLE.has(type.toUpperCase());
}

/** `@` is the apex; relative names get the zone appended; case and trailing dots are dropped. */
export function normalizeName(name: string, zoneName: string): string {
  const n = name.trim().toLowerCase().replace(/\.$/, "");
  if (n === "@" || n === "") return zoneName;
  if (n === zoneName || n.endsWith(`.${zoneName}`)) return n;
  return `${n}.${zoneName}`;
}

export function inZone(name: string, zoneName: string): boolean {
  return name === zoneName || name.endsWith(`.${zoneName}`);
}

/** Why `candidate` cannot coexist with `existing` records, or null. Mirrors Cloudflare's 81057/81053. */
export function conflict(
  candidate: Pick<DnsRecordRecord, "type" | "name" | "content" | "id">,
  existing: DnsRecordRecord[],
): { code: number; message: string } | null {
  const sameName = existing.filter((r) => r.name === candidate.name && r.id !== candidate.id);
  if (sameName.some((r) => r.type === candidate.type && r.content === candidate.content)) {
    return { code: 81057, message: "Record already exists." };
  }
  const cnameClash =
    (candidate.type === "CNAME" && sameName.some((r) => isProxiable(r.type))) ||
    (isProxiable(candidate.type) && sameName.some((r) => r.type === "CNAME"));
  if (cnameClash)
    return { code: 81053, message: "An A, AAAA, or CNAME record with that host already exists." };
  return null;
}

function textFilter(value: string, query: URLSearchParams, field: string): boolean {
  const v = value.toLowerCase();
  const checks: [string, (q: string) => boolean][] = [
    [field, (q) => v === q],
    [`${field}.exact`, (q) => v === q],
    [`${field}.contains`, (q) => v.includes(q)],
    [`${field}.startswith`, (q) => v.startsWith(q)],
    [`${field}.endswith`, (q) => v.endsWith(q)],
  ];
  const results = checks.flatMap(([key, test]) => {
    const q = query.get(key);
    return q === null ? [] : [test(q.toLowerCase())];
  });
  return results.every(Boolean);
}

/** Applies the SDK's list filters (`match=any` or the default `all`). */
export function filterRecords(records: DnsRecordRecord[], query: URLSearchParams): DnsRecordRecord[] {
  const type = query.get("type")?.toUpperCase();
  const proxied = query.get("proxied");
  const tests = (r: DnsRecordRecord): boolean[] => {
    const out: boolean[] = [];
    if ([...query.keys()].some((k) => k === "name" || k.startsWith("name.")))
      out.push(textFilter(r.name, query, "name"));
    if ([...query.keys()].some((k) => k === "content" || k.startsWith("content.")))
      out.push(textFilter(r.content, query, "content"));
    if ([...query.keys()].some((k) => k === "comment" || k.startsWith("comment.")))
      out.push(textFilter(r.comment ?? "", query, "comment"));
    if (type) out.push(r.type === type);
    if (proxied !== null) out.push(String(r.proxied) === proxied);
    return out;
  };
  const any = query.get("match") === "any";
  return records.filter((r) => {
    const t = tests(r);
    return t.length === 0 || (any ? t.some(Boolean) : t.every(Boolean));
  });
}

export function sortRecords(records: DnsRecordRecord[], query: URLSearchParams): DnsRecordRecord[] {
  const order = (query.get("order") ?? "type") as keyof DnsRecordRecord;
  const dir = query.get("direction") === "desc" ? -1 : 1;
  return [...records].sort((a, b) => {
    const x = String(a[order] ?? "");
    const y = String(b[order] ?? "");
    return (x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name)) * dir;
  });
}

export function recordResult(r: DnsRecordRecord) {
  return {
    id: r.id,
    zone_id: r.zoneId,
    zone_name: r.zoneName,
    name: r.name,
    type: r.type,
    content: r.content,
    proxiable: r.proxiable,
    proxied: r.proxied,
    ttl: r.ttl,
    ...(r.priority !== undefined ? { priority: r.priority } : {}),
    settings: r.settings,
    meta: {},
    comment: r.comment,
    tags: r.tags,
    created_on: r.createdOn,
    modified_on: r.modifiedOn,
  };
}
