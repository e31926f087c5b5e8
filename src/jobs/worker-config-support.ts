/**
 * What in a Worker config a temporary account cannot deploy, read against the
 * one table of what temporary accounts support (temporary-account-support.json,
 * its source named there). Checked by `nightshift validate` and by the deploy
 * step before wrangler runs, so a run does not spend a deploy (or provision an
 * account) on a config Cloudflare will refuse. Pure: the config comes parsed,
 * the assets directory's files come listed by the caller.
 *
 * Only the top level is read: it is what `wrangler deploy` uses without
 * `--env`, and nightshift's deploys pass none, so `env.<name>` sections never
 * reach the account.
 */
import {
  limitOf,
  resourceForConfigKey,
  type TemporaryAccountResource,
  temporaryAccountSupport,
} from "./temporary-account-support.ts";

export interface ConfigProblem {
  /** The field, e.g. `r2_buckets[0]`. */
  path: string;
  /** What the field names, e.g. `binding "FILES"`; null when it names nothing more. */
  what: string | null;
  message: string;
}

const SOURCE = `(source: ${temporaryAccountSupport.source.url})`;

/** `r2_buckets[0] (binding "FILES"): R2 is not available …`: the field, what it names, what is wrong. */
export function describeConfigProblem(problem: ConfigProblem): string {
  return `${problem.path}${problem.what ? ` (${problem.what})` : ""}: ${problem.message}`;
}

/** The field path and the message of a problem as one `JobProblem` keeps them (path, message). */
export function splitConfigProblem(problem: ConfigProblem): { path: string; message: string } {
  return {
    path: problem.path,
    message: problem.what ? `(${problem.what}) ${problem.message}` : problem.message,
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What an entry names: its binding, else its name, service, class or route pattern. */
function nameOf(entry: unknown): string | null {
  if (typeof entry === "string") return JSON.stringify(entry);
  if (!isRecord(entry)) return null;
  for (const key of ["binding", "name", "service", "class_name", "pattern", "zone_name"]) {
    const value = entry[key];
    if (typeof value === "string")
      return key === "pattern" ? JSON.stringify(value) : `${key.replace("_", " ")} ${JSON.stringify(value)}`;
  }
  return null;
}

/** Whether a config value asks for anything (an empty list or `false` asks for nothing). */
const asksFor = (value: unknown): boolean =>
  value !== undefined &&
  value !== null &&
  value !== false &&
  value !== "" &&
  !(Array.isArray(value) && value.length === 0) &&
  !(isRecord(value) && Object.keys(value).length === 0);

function unsupported(key: string, value: unknown, resource: TemporaryAccountResource): ConfigProblem[] {
  const message = `${resource.name} is not available on a temporary account ${SOURCE}`;
  if (Array.isArray(value))
    return value.map((entry, i) => ({ path: `${key}[${i}]`, what: nameOf(entry), message }));
  return [{ path: key, what: nameOf(value), message }];
}

function overLimit(resource: TemporaryAccountResource, asked: string): string {
  return `${resource.name} on a temporary account: ${resource.limit}; this config asks for ${asked} ${SOURCE}`;
}

/** The entries of list `key` past the resource's limit `name`, each a problem. */
function pastLimit(config: Record<string, unknown>, key: string, id: string, name: string, noun: string) {
  const list = config[key];
  const max = limitOf(id, name);
  if (!Array.isArray(list) || list.length <= max) return [];
  const resource = resourceForConfigKey(key) as TemporaryAccountResource;
  const message = overLimit(resource, `${list.length} ${noun}`);
  return list.slice(max).map((entry, i) => ({ path: `${key}[${max + i}]`, what: nameOf(entry), message }));
}

/** Distinct queue names a config produces to or consumes from. */
function queueNames(queues: unknown): string[] {
  if (!isRecord(queues)) return [];
  const names = new Set<string>();
  for (const side of ["producers", "consumers"]) {
    const list = queues[side];
    if (!Array.isArray(list)) continue;
    for (const entry of list) if (isRecord(entry) && typeof entry.queue === "string") names.add(entry.queue);
  }
  return [...names];
}

/** The problems of a parsed wrangler config on a temporary account: unsupported keys, limits past. */
export function configSupportProblems(config: unknown): ConfigProblem[] {
  if (!isRecord(config)) return [];
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(config)) {
    const resource = resourceForConfigKey(key);
    if (resource && !resource.supported && asksFor(value))
      problems.push(...unsupported(key, value, resource));
  }
  problems.push(...pastLimit(config, "d1_databases", "d1", "databases", "D1 databases"));
  problems.push(...pastLimit(config, "hyperdrive", "hyperdrive", "configs", "Hyperdrive configs"));
  const queues = queueNames(config.queues);
  const maxQueues = limitOf("queues", "queues");
  if (queues.length > maxQueues) {
    const resource = resourceForConfigKey("queues") as TemporaryAccountResource;
    problems.push({
      path: "queues",
      what: null,
      message: overLimit(resource, `${queues.length} distinct queues (${queues.join(", ")})`),
    });
  }
  return problems;
}

/** The assets directory a config uploads (`assets.directory`, relative to the config), or null. */
export function assetsDirectory(config: unknown): string | null {
  if (!isRecord(config) || !isRecord(config.assets)) return null;
  const directory = config.assets.directory;
  return typeof directory === "string" && directory !== "" ? directory : null;
}

export interface AssetFile {
  /** Relative to the assets directory. */
  path: string;
  bytes: number;
}

/** What the limits need of an assets directory: how many files, and those past the size limit. */
export interface AssetsSummary {
  files: number;
  /** Files over `assetFileBytesLimit` (others may be given too: they are not counted against it). */
  large: readonly AssetFile[];
}

/** The largest asset file a temporary account takes. */
export const assetFileBytesLimit = (): number => limitOf("assets", "fileBytes");

/** The summary of a listed directory. */
export function summariseAssets(files: readonly AssetFile[]): AssetsSummary {
  const max = assetFileBytesLimit();
  return { files: files.length, large: files.filter((f) => f.bytes > max) };
}

/** Files past the assets limits (count, size of each), as problems at `assets.directory`. */
export function assetsProblems(directory: string, summary: AssetsSummary): ConfigProblem[] {
  const resource = resourceForConfigKey("assets") as TemporaryAccountResource;
  const maxFiles = limitOf("assets", "files");
  const maxBytes = assetFileBytesLimit();
  const problems: ConfigProblem[] = [];
  if (summary.files > maxFiles)
    problems.push({
      path: "assets.directory",
      what: JSON.stringify(directory),
      message: overLimit(resource, `${summary.files} files`),
    });
  for (const file of summary.large)
    if (file.bytes > maxBytes)
      problems.push({
        path: "assets.directory",
        what: JSON.stringify(`${directory.replace(/\/+$/, "")}/${file.path}`),
        message: overLimit(resource, `a file of ${file.bytes} bytes`),
      });
  return problems;
}
