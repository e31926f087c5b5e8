/**
 * The types every handler shares: what a request looks like once routed and
 * authenticated, what a handler answers, and the services it may use.
 * Also the zod body helper, so each handler validates its input at the edge.
 */
import type { IncomingHttpHeaders } from "node:http";
import { z } from "zod";
import { CfApiError, CfCode, type Envelope } from "./envelope.ts";
import type { D1Runners } from "./d1-runner.ts";
import type { KvRunners } from "./kv-runner.ts";
import type { FaultTable } from "./faults.ts";
import type { HostSpec } from "./miniflare-options.ts";
import type { WorkerHost } from "./runtime.ts";
import type { AccountRecord, ScriptRecord, StateStore, VersionRecord } from "./state.ts";

export interface EmulatorConfig {
  accountLifetimeMs: number;
  /** Proof-of-work parameters handed out by the challenge call. */
  powK: number;
  powG: number;
}

export interface Challenge {
  seed: Uint8Array;
  k: number;
  g: number;
  expiresAt: number;
}

export interface Services {
  readonly store: StateStore;
  readonly host: WorkerHost;
  /** Runs D1 API queries on the files the Workers' D1 bindings use. */
  readonly d1: D1Runners;
  /** KV key commands from the API side, on the data the Workers' bindings use. */
  readonly kv: KvRunners;
  readonly config: EmulatorConfig;
  /** Challenges handed out and not yet used (in memory: a restart voids them, as a timeout would). */
  readonly challenges: Map<string, Challenge>;
  /** Injected faults for crash tests (admin API `/__emulator/faults`). */
  readonly faults: FaultTable;
  /** The emulator's own origin, e.g. `http://127.0.0.1:8788`. */
  baseUrl(): string;
  now(): Date;
  log(line: string): void;
  /** Deletes an account with its scripts, running Workers and data. */
  deleteAccount(accountId: string): Promise<void>;
  /** The Miniflare spec of one stored version (reads module bytes from disk). */
  versionSpec(script: ScriptRecord, version: VersionRecord): HostSpec;
  /** Whether an `Authorization` header carries the admin secret (constant time; routes with auth "admin"). */
  isAdmin(authorization: string | undefined): boolean;
}

export interface RequestContext {
  method: string;
  /** Path below the API base (`/accounts/…`), or the full path for non-API routes. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The account the bearer token belongs to (routes with auth "account" or "token"). */
  account: AccountRecord | null;
  bearer: string | null;
}

export type Reply =
  | { status: number; json: Envelope | unknown; headers?: Record<string, string> }
  | { status: number; html: string; headers?: Record<string, string> }
  /** Bytes as they are (a KV value): what the real API sends without an envelope. */
  | { status: number; bytes: Buffer; headers?: Record<string, string> };

export type Handler = (ctx: RequestContext, svc: Services) => Reply | Promise<Reply>;

/**
 * none: no credentials; account: bearer token of the account named in the path;
 * token: any valid account token; assets: an assets upload-session JWT;
 * admin: the emulator's own admin secret (`/__emulator/*` but health and terms).
 */
export type AuthMode = "none" | "account" | "token" | "assets" | "admin";

export interface RouteValue {
  auth: AuthMode;
  handler: Handler;
}

export const json = (body: unknown, status = 200): Reply => ({ status, json: body });

/** Parses the JSON body with `schema`; a bad body is a Cloudflare-style 400. */
export function jsonBody<S extends z.ZodType>(ctx: RequestContext, schema: S): z.infer<S> {
  let value: unknown;
  try {
    value = ctx.body.length ? JSON.parse(ctx.body.toString("utf8")) : {};
  } catch {
    throw new CfApiError(400, CfCode.invalidRequest, "Request body is not valid JSON");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CfApiError(400, CfCode.invalidRequest, z.prettifyError(parsed.error));
  return parsed.data;
}

export function param(ctx: RequestContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route has no :${name}`);
  return value;
}

/** The account a route with auth "account"/"token" was called with. */
export function callerAccount(ctx: RequestContext): AccountRecord {
  if (!ctx.account) throw new CfApiError(403, CfCode.authentication, "Authentication error");
  return ctx.account;
}
