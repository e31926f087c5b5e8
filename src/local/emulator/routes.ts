/**
 * The table of Cloudflare API routes the emulator answers, below the API base
 * (`/client/v4`). Adding an endpoint is one line here plus its handler.
 * Anything not listed answers 404 with code 7003 and a loud log line, so a
 * wrangler upgrade that calls something new shows up at once.
 */
import type { AuthMode, Handler, RouteValue } from "./context.ts";
import { createAssetsSession, uploadAssets } from "./handlers/assets.ts";
import * as certificates from "./handlers/certificates.ts";
import * as d1 from "./handlers/d1.ts";
import * as domains from "./handlers/domains.ts";
import * as hyperdrive from "./handlers/hyperdrive.ts";
import * as kv from "./handlers/kv.ts";
import { createKvNamespace, listKvNamespaces } from "./handlers/kv.ts";
import { createChallenge, createPreviewAccount } from "./handlers/provisioning.ts";
import * as settings from "./handlers/script-settings.ts";
import * as scripts from "./handlers/scripts.ts";
import * as queues from "./handlers/queues.ts";
import * as schedules from "./handlers/schedules.ts";
import * as secrets from "./handlers/secrets.ts";
import * as zones from "./handlers/zones.ts";
import type { RouteEntry } from "./router.ts";

const A = "/accounts/:account";
const S = `${A}/workers/scripts/:script`;
const KV = `${A}/storage/kv/namespaces/:namespace`;

const r = (method: string, pattern: string, auth: AuthMode, handler: Handler): RouteEntry<RouteValue> => ({
  method,
  pattern,
  value: { auth, handler },
});

export const apiRoutes: readonly RouteEntry<RouteValue>[] = [
  r("POST", "/provisioning/previews/challenge", "none", createChallenge),
  r("POST", "/provisioning/previews", "none", createPreviewAccount),

  r("GET", `${A}/workers/subdomain`, "account", settings.getAccountSubdomain),
  r("GET", `${A}/workers/services/:script`, "account", scripts.getService),
  r("GET", `${A}/workers/workers/:script`, "account", settings.getWorker),
  r("PATCH", `${A}/workers/workers/:script/versions/latest`, "account", secrets.patchLatestVersion),
  r("GET", `${A}/workers/scripts`, "account", settings.listScripts),
  r("PUT", S, "account", scripts.putScript),
  r("GET", S, "account", scripts.getScript),
  r("DELETE", S, "account", scripts.deleteScript),
  r("GET", `${S}/settings`, "account", settings.getSettings),
  r("PATCH", `${S}/settings`, "account", settings.patchScriptSettings),
  r("GET", `${S}/script-settings`, "account", settings.getScriptSettings),
  r("PATCH", `${S}/script-settings`, "account", settings.patchScriptSettings),
  r("GET", `${S}/secrets`, "account", settings.listSecrets),
  r("PUT", `${S}/secrets`, "account", secrets.putSecret),
  r("GET", `${S}/secrets/:secret`, "account", secrets.getSecret),
  r("DELETE", `${S}/secrets/:secret`, "account", secrets.deleteSecret),
  r("PATCH", `${S}/secrets-bulk`, "account", secrets.patchSecretsBulk),
  r("GET", `${S}/subdomain`, "account", settings.getScriptSubdomain),
  r("POST", `${S}/subdomain`, "account", settings.postScriptSubdomain),
  r("GET", `${S}/deployments`, "account", scripts.listDeployments),
  r("POST", `${S}/deployments`, "account", scripts.postDeployment),
  r("GET", `${S}/versions`, "account", scripts.listVersions),
  r("POST", `${S}/versions`, "account", scripts.postVersion),
  r("GET", `${S}/versions/:version`, "account", scripts.getVersion),
  r("POST", `${S}/assets-upload-session`, "account", createAssetsSession),
  r("POST", `${A}/workers/assets/upload`, "assets", uploadAssets),
  r("PUT", `${S}/routes`, "account", domains.putScriptRoutes),
  r("GET", `${S}/routes`, "account", domains.getScriptRoutes),
  r("POST", `${S}/domains/changeset`, "account", domains.domainsChangeset),
  r("PUT", `${S}/domains/records`, "account", domains.putDomainRecords),

  r("GET", `${A}/storage/kv/namespaces`, "account", listKvNamespaces),
  r("POST", `${A}/storage/kv/namespaces`, "account", createKvNamespace),
  r("GET", `${KV}`, "account", kv.getKvNamespace),
  r("PUT", `${KV}`, "account", kv.renameKvNamespace),
  r("DELETE", `${KV}`, "account", kv.deleteKvNamespace),
  r("GET", `${KV}/keys`, "account", kv.listKvKeys),
  r("GET", `${KV}/values/:key`, "account", kv.getKvValue),
  r("PUT", `${KV}/values/:key`, "account", kv.putKvValue),
  r("DELETE", `${KV}/values/:key`, "account", kv.deleteKvValue),
  r("PUT", `${KV}/bulk`, "account", kv.putKvBulk),
  r("DELETE", `${KV}/bulk`, "account", kv.deleteKvBulk),
  r("POST", `${KV}/bulk/delete`, "account", kv.deleteKvBulk),
  r("POST", `${KV}/bulk/get`, "account", kv.getKvBulk),

  r("GET", `${A}/hyperdrive/configs`, "account", hyperdrive.listHyperdriveConfigs),
  r("POST", `${A}/hyperdrive/configs`, "account", hyperdrive.createHyperdriveConfig),
  r("GET", `${A}/hyperdrive/configs/:config`, "account", hyperdrive.getHyperdriveConfig),
  r("PATCH", `${A}/hyperdrive/configs/:config`, "account", hyperdrive.updateHyperdriveConfig),
  r("PUT", `${A}/hyperdrive/configs/:config`, "account", hyperdrive.updateHyperdriveConfig),
  r("DELETE", `${A}/hyperdrive/configs/:config`, "account", hyperdrive.deleteHyperdriveConfig),

  r("GET", `${A}/mtls_certificates`, "account", certificates.listCertificates),
  r("POST", `${A}/mtls_certificates`, "account", certificates.uploadCertificate),
  r("GET", `${A}/mtls_certificates/:certificate`, "account", certificates.getCertificate),
  r("DELETE", `${A}/mtls_certificates/:certificate`, "account", certificates.deleteCertificate),

  r("GET", `${A}/queues`, "account", queues.listQueues),
  r("POST", `${A}/queues`, "account", queues.createQueue),
  r("GET", `${A}/queues/:queue`, "account", queues.getQueue),
  r("DELETE", `${A}/queues/:queue`, "account", queues.deleteQueue),
  r("GET", `${A}/queues/:queue/consumers`, "account", queues.listConsumers),
  r("POST", `${A}/queues/:queue/consumers`, "account", queues.createConsumer),
  r("GET", `${A}/queues/:queue/consumers/:consumer`, "account", queues.getConsumer),
  r("PUT", `${A}/queues/:queue/consumers/:consumer`, "account", queues.putConsumer),
  r("DELETE", `${A}/queues/:queue/consumers/:consumer`, "account", queues.deleteConsumer),
  r("PUT", `${S}/schedules`, "account", schedules.putSchedules),
  r("GET", `${S}/schedules`, "account", schedules.getSchedules),
  r("GET", `${A}/d1/database`, "account", d1.listD1Databases),
  r("POST", `${A}/d1/database`, "account", d1.createD1Database),
  r("GET", `${A}/d1/database/:database`, "account", d1.getD1Database),
  r("DELETE", `${A}/d1/database/:database`, "account", d1.deleteD1Database),
  r("POST", `${A}/d1/database/:database/query`, "account", d1.queryD1Database),
  r("POST", `${A}/d1/database/:database/import`, "account", d1.importD1Database),
  r("PUT", `${A}/d1/database/:database/import/:filename`, "none", d1.uploadD1Import),
  r("POST", "/graphql", "token", d1.graphql),

  r("PUT", `${A}/workers/domains`, "account", domains.putDomain),
  r("GET", `${A}/workers/domains`, "account", domains.listDomains),
  r("GET", `${A}/workers/domains/records`, "account", domains.listDomains),
  r("GET", `${A}/workers/domains/:domain`, "account", domains.getDomain),
  r("GET", `${A}/workers/domains/records/:domain`, "account", domains.getDomain),
  r("DELETE", `${A}/workers/domains/:domain`, "account", domains.deleteDomain),

  r("GET", "/zones", "token", zones.listZones),
  r("POST", "/zones", "token", zones.createZone),
  r("GET", "/zones/:zone", "token", zones.getZone),
  r("GET", "/zones/:zone/dns_records", "token", zones.listDnsRecords),
  r("POST", "/zones/:zone/dns_records", "token", zones.createDnsRecord),
  r("GET", "/zones/:zone/dns_records/:record", "token", zones.getDnsRecord),
  r("PATCH", "/zones/:zone/dns_records/:record", "token", zones.patchDnsRecord),
  r("PUT", "/zones/:zone/dns_records/:record", "token", zones.putDnsRecord),
  r("DELETE", "/zones/:zone/dns_records/:record", "token", zones.deleteDnsRecord),
  r("GET", "/zones/:zone/workers/routes", "token", domains.listZoneRoutes),
  r("POST", "/zones/:zone/workers/routes", "token", domains.createZoneRoute),
  r("GET", "/zones/:zone/workers/routes/:route", "token", domains.getZoneRoute),
  r("PUT", "/zones/:zone/workers/routes/:route", "token", domains.putZoneRoute),
  r("DELETE", "/zones/:zone/workers/routes/:route", "token", domains.deleteZoneRoute),
];
