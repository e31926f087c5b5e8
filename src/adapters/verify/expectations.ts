/**
 * Judging one HTTP response against a probe's expectations. Pure: the
 * response arrives as values; the check says what was expected, what came
 * back and an excerpt, so the fix step and the human gates can read it.
 */
import { z } from "zod";
import type { Probe } from "../../jobs/schema.ts";
import type { Check } from "../../ports/verifier.ts";

export interface ObservedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  durationMs: number;
}

const EXCERPT = 500;

/**
 * JSON Schema's `required` holds whether or not the name is under `properties`;
 * zod 4.6's `fromJSONSchema` only enforces names it has a property for, so
 * `{type:"object", required:["count"]}` accepted `{"visits":2}`. Give every
 * required name a property (`{}`: anything) before converting. Pure.
 */
const LITERAL_KEYWORDS = new Set(["const", "enum", "default", "examples"]);

export function withRequiredProperties(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withRequiredProperties);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema))
    out[key] = LITERAL_KEYWORDS.has(key) ? value : withRequiredProperties(value);
  if (Array.isArray(out.required)) {
    const properties = { ...((out.properties as Record<string, unknown> | undefined) ?? {}) };
    for (const name of out.required)
      if (typeof name === "string" && !(name in properties)) properties[name] = {};
    out.properties = properties;
  }
  return out;
}

export function excerptOf(body: string): string {
  return body.length <= EXCERPT ? body : `${body.slice(0, EXCERPT)}… (${body.length} bytes)`;
}

/** The first unmet expectation, or null when the response meets them all. */
export function unmet(probe: Probe, response: ObservedResponse): { expected: string; actual: string } | null {
  const want = probe.expect;
  if (response.status !== want.status)
    return { expected: `status ${want.status}`, actual: `status ${response.status}` };
  for (const [name, value] of Object.entries(want.headers)) {
    const got = response.headers[name.toLowerCase()];
    if (got !== value)
      return {
        expected: `header ${name}: ${value}`,
        actual: got === undefined ? `no ${name} header` : `${name}: ${got}`,
      };
  }
  if (want.bodyContains !== undefined && !response.body.includes(want.bodyContains)) {
    return { expected: `body containing ${JSON.stringify(want.bodyContains)}`, actual: "body without it" };
  }
  if (want.bodyMatches !== undefined && !new RegExp(want.bodyMatches).test(response.body)) {
    return { expected: `body matching /${want.bodyMatches}/`, actual: "body not matching" };
  }
  if (want.json !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(response.body);
    } catch {
      return { expected: "a JSON body", actual: "a body that is not JSON" };
    }
    const schema = withRequiredProperties(want.json) as Parameters<typeof z.fromJSONSchema>[0];
    const result = z.fromJSONSchema(schema).safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue?.path.length ? issue.path.join(".") : "(root)";
      return {
        expected: `JSON matching the schema`,
        actual: `${where}: ${issue?.message ?? "does not match"}`,
      };
    }
  }
  if (want.maxLatency !== undefined && response.durationMs > want.maxLatency) {
    return { expected: `answer within ${want.maxLatency} ms`, actual: `${response.durationMs} ms` };
  }
  return null;
}

export function probeName(probe: Probe): string {
  return probe.name ?? `${probe.method} ${probe.path}`;
}

export function probeCheck(probe: Probe, response: ObservedResponse): Check {
  const miss = unmet(probe, response);
  return {
    name: probeName(probe),
    kind: "probe",
    passed: miss === null,
    expected: miss?.expected ?? describe(probe),
    actual: miss?.actual ?? `status ${response.status}`,
    excerpt: excerptOf(response.body),
    durationMs: response.durationMs,
  };
}

function describe(probe: Probe): string {
  const parts = [`status ${probe.expect.status}`];
  if (probe.expect.bodyContains) parts.push(`body containing ${JSON.stringify(probe.expect.bodyContains)}`);
  if (probe.expect.bodyMatches) parts.push(`body matching /${probe.expect.bodyMatches}/`);
  if (probe.expect.json) parts.push("JSON matching the schema");
  return parts.join(", ");
}
