/**
 * The emulator's durable state: record types and a JSON-file store.
 *
 * Everything small (accounts, scripts and their versions, zones, DNS records,
 * custom domains, routes, idempotency records, asset sessions) lives in one
 * `state.json`, rewritten atomically after each change; uploaded module and
 * asset bytes live as files beside it (see `files.ts`). Loading the file again
 * after a restart gives back the same emulator.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface AccountRecord {
  id: string;
  name: string;
  apiToken: string;
  subdomain: string;
  createdAt: string;
  /** null for a permanent (claimed) account. */
  expiresAt: string | null;
  temporary: boolean;
  /** The claim link's secret and expiry; null once claimed or for permanent accounts. */
  claim: { token: string; expiresAt: string } | null;
}

/** A claim link that can no longer be used: remembered so a later visit can say why. */
export interface ClaimedRecord {
  token: string;
  outcome: "claimed" | "expired";
  fromAccountId: string;
  /** the permanent account the Workers moved to (outcome "claimed") */
  toAccountId: string | null;
  at: string;
  scripts: string[];
}

export type ModuleType = "ESModule" | "CommonJS" | "Text" | "Data" | "CompiledWasm";

export interface ModuleRecord {
  name: string;
  type: ModuleType;
  /** Path of the bytes, relative to the state directory. */
  file: string;
}

/** A binding as wrangler sends it in the upload metadata (`{name, type, …}`). */
export type BindingRecord = { name: string; type: string } & Record<string, unknown>;

export interface VersionRecord {
  id: string;
  number: number;
  createdOn: string;
  mainModule: string | null;
  /** Service-worker format: the name of the script part. */
  bodyPart: string | null;
  modules: ModuleRecord[];
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: BindingRecord[];
  /** Asset manifest (path → hash) and the `assets.config` wrangler sent, if any. */
  assets: { manifest: Record<string, string>; config: Record<string, unknown> } | null;
  annotations: Record<string, unknown>;
  startupTimeMs: number;
}

export interface DeploymentRecord {
  id: string;
  createdOn: string;
  source: string;
  strategy: string;
  versions: { version_id: string; percentage: number }[];
  annotations: Record<string, unknown>;
}

export interface ScriptRecord {
  accountId: string;
  name: string;
  tag: string;
  etag: string;
  createdOn: string;
  modifiedOn: string;
  versions: VersionRecord[];
  deployments: DeploymentRecord[];
  /** The version receiving traffic; null until the first deployment. */
  activeVersionId: string | null;
  subdomain: { enabled: boolean; previews_enabled: boolean };
  tags: string[];
  settings: Record<string, unknown>;
  /** Cron triggers from wrangler's `PUT …/schedules` (absent: none set). */
  schedules?: { cron: string; createdOn: string; modifiedOn: string }[];
}

export interface ZoneRecord {
  id: string;
  name: string;
  /** null: visible to every account (zones seeded before accounts exist). */
  accountId: string | null;
  createdOn: string;
}

export interface DnsRecordRecord {
  id: string;
  zoneId: string;
  zoneName: string;
  type: string;
  name: string;
  content: string;
  ttl: number;
  proxied: boolean;
  proxiable: boolean;
  priority?: number;
  comment: string | null;
  tags: string[];
  settings: Record<string, unknown>;
  createdOn: string;
  modifiedOn: string;
}

export interface CustomDomainRecord {
  id: string;
  accountId: string;
  hostname: string;
  service: string;
  environment: string;
  zoneId: string;
  zoneName: string;
  certId: string;
}

export interface WorkerRouteRecord {
  id: string;
  zoneId: string;
  pattern: string;
  script: string | null;
}

export interface KvNamespaceRecord {
  id: string;
  accountId: string;
  title: string;
}

export interface HyperdriveConfigRecord {
  id: string;
  accountId: string;
  name: string;
  origin: { scheme: string; host: string; port: number; database: string; user: string; password: string };
  caching: Record<string, unknown>;
  originConnectionLimit?: number;
  createdOn: string;
  modifiedOn: string;
}

export interface MtlsCertificateRecord {
  id: string;
  accountId: string;
  name: string | null;
  /** PEM chain as uploaded; the private key is kept beside it, never shown. */
  certificates: string;
  privateKey: string | null;
  ca: boolean;
  issuer: string;
  serialNumber: string;
  signature: string;
  expiresOn: string;
  uploadedOn: string;
}

/** A Worker consuming a queue, as registered by wrangler's `POST …/queues/:id/consumers`. */
export interface QueueConsumerRecord {
  id: string;
  script: string;
  /** Cloudflare's consumer settings (`batch_size`, `max_retries`, `max_wait_time_ms`, `retry_delay`, …). */
  settings: Record<string, unknown>;
  deadLetterQueue: string | null;
  createdOn: string;
}

export interface QueueRecord {
  id: string;
  accountId: string;
  name: string;
  createdOn: string;
  modifiedOn: string;
  settings: Record<string, unknown>;
  consumers: QueueConsumerRecord[];
  /** Bearer secret a producer Worker's runtime uses to hand this queue's messages to a consumer in another Worker. */
  deliveryToken?: string;
}

export interface D1DatabaseRecord {
  /** The database id (`database_id` in a wrangler config); also Miniflare's D1 id, so the data is shared. */
  uuid: string;
  accountId: string;
  name: string;
  createdAt: string;
  jurisdiction: string | null;
}

export interface IdempotencyRecord {
  scope: string;
  status: number;
  body: unknown;
  at: string;
}

export interface AssetSessionRecord {
  accountId: string;
  script: string;
  /** path → hash */
  manifest: Record<string, string>;
  completionJwt: string;
  expiresAt: string;
}

export interface EmulatorState {
  version: 1;
  accounts: Record<string, AccountRecord>;
  claimed: Record<string, ClaimedRecord>;
  /** keyed by `${accountId}/${script}` */
  scripts: Record<string, ScriptRecord>;
  zones: Record<string, ZoneRecord>;
  dnsRecords: Record<string, DnsRecordRecord>;
  customDomains: Record<string, CustomDomainRecord>;
  routes: Record<string, WorkerRouteRecord>;
  kvNamespaces: Record<string, KvNamespaceRecord>;
  hyperdriveConfigs: Record<string, HyperdriveConfigRecord>;
  mtlsCertificates: Record<string, MtlsCertificateRecord>;
  /** keyed by queue id */
  queues: Record<string, QueueRecord>;
  /** keyed by uuid */
  d1Databases: Record<string, D1DatabaseRecord>;
  idempotency: Record<string, IdempotencyRecord>;
  /** keyed by session JWT */
  assetSessions: Record<string, AssetSessionRecord>;
  /** completion JWT → session JWT */
  assetCompletions: Record<string, string>;
}

export function emptyState(): EmulatorState {
  return {
    version: 1,
    accounts: {},
    claimed: {},
    scripts: {},
    zones: {},
    dnsRecords: {},
    customDomains: {},
    routes: {},
    kvNamespaces: {},
    hyperdriveConfigs: {},
    mtlsCertificates: {},
    queues: {},
    d1Databases: {},
    idempotency: {},
    assetSessions: {},
    assetCompletions: {},
  };
}

export function scriptKey(accountId: string, script: string): string {
  return `${accountId}/${script}`;
}

/** Holds the state in memory and writes it through to `<dir>/state.json`. */
export class StateStore {
  readonly state: EmulatorState;
  private readonly file: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, "state.json");
    this.state = loadState(this.file);
  }

  /** Persists the whole state (atomic rename, so a crash never leaves half a file). */
  save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, this.file);
  }

  accountByToken(token: string): AccountRecord | undefined {
    return Object.values(this.state.accounts).find((a) => a.apiToken === token);
  }

  accountBySubdomain(subdomain: string): AccountRecord | undefined {
    return Object.values(this.state.accounts).find((a) => a.subdomain === subdomain);
  }

  scriptsOf(accountId: string): ScriptRecord[] {
    return Object.values(this.state.scripts).filter((s) => s.accountId === accountId);
  }
}

function loadState(file: string): EmulatorState {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return emptyState();
  }
  const parsed = JSON.parse(text) as Partial<EmulatorState>;
  return { ...emptyState(), ...parsed, version: 1 };
}
