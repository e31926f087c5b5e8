/**
 * Where uploaded bytes live under the state directory, and the I/O to put them
 * there or remove them. Layout:
 *   scripts/<account>/<script>/<version>/<module path>   uploaded modules
 *   assets/<account>/<hash>                              uploaded asset files
 *   sites/<account>/<script>/<version>/                  assets laid out by path for Miniflare
 *   data/<account>/                                      KV/D1/R2/DO persistence
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

export function moduleFile(accountId: string, script: string, versionId: string, name: string): string {
  const safe = normalize(name).replace(/^(\.\.(\/|\\|$))+/, "");
  return join("scripts", accountId, script, versionId, safe);
}

export const assetFile = (accountId: string, hash: string): string => join("assets", accountId, hash);
export const siteDir = (accountId: string, script: string, versionId: string): string =>
  join("sites", accountId, script, versionId);
export const dataDir = (accountId: string): string => join("data", accountId);

export function writeStateFile(stateDir: string, rel: string, bytes: Uint8Array | string): void {
  const abs = join(stateDir, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, bytes);
}

/** Removes everything an account owns on disk (its scripts, assets, sites and data). */
export function removeAccountFiles(stateDir: string, accountId: string): void {
  for (const top of ["scripts", "assets", "sites", "data"]) {
    rmSync(join(stateDir, top, accountId), { recursive: true, force: true });
  }
}

export function removeScriptFiles(stateDir: string, accountId: string, script: string): void {
  for (const top of ["scripts", "sites"])
    rmSync(join(stateDir, top, accountId, script), { recursive: true, force: true });
}

/** Files under `src` that also exist under `dst` (paths relative to `src`). */
export function collisions(src: string, dst: string, rel = ""): string[] {
  if (!existsSync(src) || !existsSync(dst)) return [];
  if (statSync(src).isDirectory() && statSync(dst).isDirectory()) {
    return readdirSync(src).flatMap((entry) =>
      collisions(join(src, entry), join(dst, entry), rel ? join(rel, entry) : entry),
    );
  }
  return [rel || "."];
}

/**
 * Moves `src` into `dst`, merging directories that exist on both sides; a
 * file already at `dst` is kept (callers check `collisions` first where that
 * would lose data; assets are content-addressed, so equal names are equal bytes).
 */
export function mergeDir(src: string, dst: string): void {
  if (!existsSync(src)) return;
  if (!existsSync(dst)) {
    mkdirSync(dirname(dst), { recursive: true });
    renameSync(src, dst);
    return;
  }
  if (statSync(src).isDirectory() && statSync(dst).isDirectory()) {
    for (const entry of readdirSync(src)) mergeDir(join(src, entry), join(dst, entry));
  }
  rmSync(src, { recursive: true, force: true });
}
