/**
 * The static-assets upload flow (cloudflare-api.md §3c): a session lists the
 * manifest and answers which hashes still need uploading; the upload call
 * (authenticated by the session JWT) takes base64 parts named by hash and
 * checks each against the manifest; the completion JWT then goes into the
 * script upload's metadata.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { assetHashOfBase64, isAssetPathSafe, makeJwt } from "../assets.ts";
import {
  callerAccount,
  type Handler,
  json,
  jsonBody,
  param,
  type RequestContext,
  type Services,
} from "../context.ts";
import { CfApiError, CfCode, ok } from "../envelope.ts";
import { assetFile, writeStateFile } from "../files.ts";
import { limitOf } from "../../../jobs/temporary-account-support.ts";
import type { AssetSessionRecord } from "../state.ts";
import { readFormData } from "../upload.ts";

const SESSION_LIFETIME_MS = 60 * 60_000;
const BUCKET_SIZE = 50;

const SessionBody = z.object({
  manifest: z.record(z.string(), z.object({ hash: z.string().regex(/^[0-9a-f]{32}$/), size: z.number() })),
});

/** Cloudflare's "script too large" code, for a manifest over the temporary account's asset limits. */
const ASSETS_LIMIT_CODE = 10027;

/** Refuses a manifest over the temporary-account limits (temporary-account-support.json, "assets"). */
function checkAssetLimits(manifest: Record<string, { size: number }>): void {
  const files = limitOf("assets", "files");
  const fileBytes = limitOf("assets", "fileBytes");
  const count = Object.keys(manifest).length;
  if (count > files) {
    throw new CfApiError(
      413,
      ASSETS_LIMIT_CODE,
      `Too many static assets: ${count} files, and a temporary account allows at most ${files} per Worker`,
    );
  }
  const big = Object.entries(manifest).find(([, entry]) => entry.size > fileBytes);
  if (big) {
    throw new CfApiError(
      413,
      ASSETS_LIMIT_CODE,
      `Static asset ${big[0]} is ${big[1].size} bytes, over the ${fileBytes / 1024 / 1024} MiB a temporary account allows per file`,
    );
  }
}

export const createAssetsSession: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const { manifest } = jsonBody(ctx, SessionBody);
  if (account.temporary) checkAssetLimits(manifest);
  const byPath: Record<string, string> = {};
  for (const [path, entry] of Object.entries(manifest)) {
    if (!isAssetPathSafe(path))
      throw new CfApiError(400, CfCode.invalidRequest, `Invalid asset path ${path}`);
    byPath[path] = entry.hash;
  }
  const now = svc.now();
  const jwt = makeJwt({ kind: "assets-session", account: account.id }, SESSION_LIFETIME_MS, now);
  const completionJwt = makeJwt({ kind: "assets-completion", account: account.id }, SESSION_LIFETIME_MS, now);
  const missing = [...new Set(Object.values(byPath))].filter(
    (hash) => !existsSync(join(svc.store.dir, assetFile(account.id, hash))),
  );
  const session: AssetSessionRecord = {
    accountId: account.id,
    script: param(ctx, "script"),
    manifest: byPath,
    completionJwt,
    expiresAt: new Date(now.getTime() + SESSION_LIFETIME_MS).toISOString(),
  };
  svc.store.state.assetSessions[jwt] = session;
  svc.store.state.assetCompletions[completionJwt] = jwt;
  svc.store.save();
  const buckets: string[][] = [];
  for (let i = 0; i < missing.length; i += BUCKET_SIZE) buckets.push(missing.slice(i, i + BUCKET_SIZE));
  // Nothing to upload: the session token is already the completion token.
  if (buckets.length === 0) {
    svc.store.state.assetCompletions[jwt] = jwt;
    svc.store.save();
  }
  return json(ok({ jwt, buckets }));
};

/** The session behind an assets-upload bearer token (auth mode "assets"). */
export function assetSession(ctx: RequestContext, svc: Services): AssetSessionRecord {
  const session = ctx.bearer ? svc.store.state.assetSessions[ctx.bearer] : undefined;
  if (!session || Date.parse(session.expiresAt) <= svc.now().getTime()) {
    throw new CfApiError(
      401,
      CfCode.authentication,
      "Authentication error: invalid or expired assets upload session",
    );
  }
  return session;
}

export const uploadAssets: Handler = async (ctx, svc) => {
  const session = assetSession(ctx, svc);
  const form = await readFormData(ctx.body, String(ctx.headers["content-type"] ?? ""));
  const pathOf = new Map(Object.entries(session.manifest).map(([path, hash]) => [hash, path]));
  for (const [hash, value] of form.entries()) {
    const path = pathOf.get(hash);
    if (!path)
      throw new CfApiError(400, CfCode.invalidRequest, `Asset ${hash} is not in this upload session`);
    const base64 = typeof value === "string" ? value : await value.text();
    if ((await assetHashOfBase64(base64, path)) !== hash) {
      throw new CfApiError(400, CfCode.invalidRequest, `Asset ${path} does not match its hash ${hash}`);
    }
    writeStateFile(svc.store.dir, assetFile(session.accountId, hash), Buffer.from(base64, "base64"));
  }
  return json(ok({ jwt: session.completionJwt }));
};
