/**
 * What a Cloudflare temporary preview account supports, read once from the
 * data file beside this one (its source is named there). `nightshift
 * validate`, the deploy step and the local emulator all ask here, so a change
 * on Cloudflare's page is one edit. Pure: no I/O beyond the JSON import.
 */
import { z } from "zod";
import data from "./temporary-account-support.json" with { type: "json" };

const Resource = z.object({
  id: z.string(),
  name: z.string(),
  supported: z.boolean(),
  /** Cloudflare's own words for the limit (supported resources only). */
  limit: z.string().optional(),
  limits: z.record(z.string(), z.number().int().positive()).optional(),
  /** Top-level keys of a wrangler config that ask for this resource. */
  config: z.array(z.string()),
  /** Binding types in a script upload's metadata (`bindings[].type`). */
  uploadTypes: z.array(z.string()),
  /** Cloudflare API path prefixes that manage it (`:account` stands for the account id). */
  api: z.array(z.string()).optional(),
});
export type TemporaryAccountResource = z.infer<typeof Resource>;

const Support = z.object({
  source: z.object({
    url: z.string().url(),
    section: z.string(),
    read: z.string(),
    note: z.string().optional(),
  }),
  resources: z.array(Resource),
});

export const temporaryAccountSupport = Support.parse(data);

/** The resource a wrangler config key asks for, or undefined for keys that ask for none (`name`, `vars`, …). */
export function resourceForConfigKey(key: string): TemporaryAccountResource | undefined {
  return temporaryAccountSupport.resources.find((r) => r.config.includes(key));
}

/** The resource an uploaded binding type belongs to, or undefined for a type the table does not name. */
export function resourceForUploadType(type: string): TemporaryAccountResource | undefined {
  return temporaryAccountSupport.resources.find((r) => r.uploadTypes.includes(type));
}

/** The resource an API path (below `/client/v4`) manages, by its longest matching prefix. */
export function resourceForApiPath(path: string): TemporaryAccountResource | undefined {
  let best: { resource: TemporaryAccountResource; length: number } | undefined;
  for (const resource of temporaryAccountSupport.resources) {
    for (const prefix of resource.api ?? []) {
      const pattern = new RegExp(`^${prefix.replace(":account", "[^/]+")}(/|$)`);
      if (pattern.test(path) && (!best || prefix.length > best.length))
        best = { resource, length: prefix.length };
    }
  }
  return best?.resource;
}

/** The numeric limit `name` of resource `id` (e.g. `limitOf("d1", "databases")` → 1). */
export function limitOf(id: string, name: string): number {
  const value = temporaryAccountSupport.resources.find((r) => r.id === id)?.limits?.[name];
  if (value === undefined) throw new Error(`temporary-account-support.json has no limit ${id}.${name}`);
  return value;
}
