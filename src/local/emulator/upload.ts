/**
 * Parsing wrangler's multipart Worker upload (script PUT and versions POST):
 * the `metadata` JSON part and one part per module. Uses the web
 * `Request.formData()` of Node 22 on the raw body, so the multipart grammar is
 * the platform's, not ours. The metadata is validated with zod; unknown keys
 * pass through (wrangler adds optional ones per feature).
 */
import { z } from "zod";
import { CfApiError, CfCode } from "./envelope.ts";
import type { ModuleType } from "./state.ts";
import { refuseUnsupportedBindings } from "./unsupported.ts";

const BindingSchema = z.looseObject({ name: z.string(), type: z.string() });

export const MetadataSchema = z.looseObject({
  main_module: z.string().optional(),
  body_part: z.string().optional(),
  bindings: z.array(BindingSchema).default([]),
  compatibility_date: z.string().optional(),
  compatibility_flags: z.array(z.string()).default([]),
  keep_bindings: z.array(z.string()).default([]),
  assets: z.looseObject({ jwt: z.string(), config: z.record(z.string(), z.unknown()).optional() }).optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
  observability: z.unknown().optional(),
  tags: z.array(z.string()).optional(),
});
export type UploadMetadata = z.infer<typeof MetadataSchema>;

export interface UploadedModule {
  name: string;
  type: ModuleType;
  bytes: Uint8Array;
}

export interface ParsedUpload {
  metadata: UploadMetadata;
  modules: UploadedModule[];
}

/** Module content types wrangler uses → Miniflare module types; others (source maps) are not modules. */
export function moduleTypeFor(contentType: string): ModuleType | null {
  const base = contentType.split(";")[0]!.trim().toLowerCase();
  switch (base) {
    case "application/javascript+module":
      return "ESModule";
    case "application/javascript":
    case "text/javascript":
      return "CommonJS";
    case "text/plain":
      return "Text";
    case "application/octet-stream":
      return "Data";
    case "application/wasm":
      return "CompiledWasm";
    default:
      return null;
  }
}

/** Reads a multipart body into its named parts (web FormData under the hood). */
export async function readFormData(body: Buffer, contentType: string): Promise<FormData> {
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    throw new CfApiError(
      400,
      CfCode.invalidRequest,
      `Expected multipart/form-data, got ${contentType || "no content type"}`,
    );
  }
  const request = new Request("http://emulator.invalid/", {
    method: "POST",
    headers: { "content-type": contentType },
    body: new Uint8Array(body),
  });
  try {
    return await request.formData();
  } catch (error) {
    throw new CfApiError(400, CfCode.invalidRequest, `Malformed multipart body: ${String(error)}`);
  }
}

export async function parseUpload(body: Buffer, contentType: string): Promise<ParsedUpload> {
  const form = await readFormData(body, contentType);
  const rawMetadata = form.get("metadata");
  const metadataText =
    typeof rawMetadata === "string" ? rawMetadata : rawMetadata ? await rawMetadata.text() : null;
  if (metadataText === null) throw new CfApiError(400, CfCode.invalidRequest, "Missing the metadata part");
  let json: unknown;
  try {
    json = JSON.parse(metadataText);
  } catch {
    throw new CfApiError(400, CfCode.invalidRequest, "The metadata part is not JSON");
  }
  const parsed = MetadataSchema.safeParse(json);
  if (!parsed.success) {
    throw new CfApiError(400, CfCode.invalidRequest, `Invalid metadata: ${z.prettifyError(parsed.error)}`);
  }
  refuseUnsupportedBindings(parsed.data.bindings);
  const modules: UploadedModule[] = [];
  for (const [name, value] of form.entries()) {
    if (name === "metadata" || typeof value === "string") continue;
    const type = moduleTypeFor(value.type);
    if (!type) continue;
    modules.push({ name, type, bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  return { metadata: parsed.data, modules };
}
