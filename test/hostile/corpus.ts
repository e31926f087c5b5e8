/**
 * The hostile-input corpus: one table of inputs nightshift must refuse, each
 * with the exact answer (HTTP status and JSON error body, or the job file's
 * problems, or what an agent's round returns) and what "nothing else changed"
 * means for it. Two test files run it, one per pool: `http.test.ts` (API,
 * webhooks, gate decisions, in workerd) and `local.node.test.ts` (job files,
 * agent output, the Sandbox host, in Node with real bubblewrap Sandboxes).
 *
 * Placeholders in paths and expected bodies (`{pending}`, `{link}`, …) name
 * the fixture each file sets up first; an expected body that shows a gate is a
 * function of that fixture, since a gate's view carries its own times and hash.
 * Pure data: no imports that tie it to one pool.
 */

/** What "nothing else changed" means; each test file checks the ones its cases name. */
export type Unchanged =
  /** Every row of every D1 table is as before (a personal token's `last_used_at` aside). */
  | "d1"
  /** Every fixture gate that was pending still is (so the run still waits for a person). */
  | "gates-pending"
  /** The fixture's signed link still opens its gate page (not used up by a refused decision). */
  | "link-usable"
  /** The registry still loads the good job beside the bad file, and the bad file adds no job. */
  | "registry"
  /** The Sandbox's workspace holds the same files with the same content. */
  | "workspace"
  /** The host directory the planted symlinks point at is untouched. */
  | "host-files"
  /** The Sandbox host's state directory has the same entries (no Sandbox made, none removed). */
  | "host-state";

/** The fixture runs of `http.test.ts`, by role. */
export type FixtureRun = "pending" | "decided" | "hooked" | "dns";
export type Who = "admin" | "viewer" | "approver";

export interface Fixture {
  runs: Record<FixtureRun, string>;
  /** A run's gate of `kind` as `GET /api/runs/:id` shows it to `who`. */
  gate(run: FixtureRun, who: Who, kind?: string): unknown;
}

type Expected = unknown | ((fx: Fixture) => unknown);

// ------------------------------------------------------------ job files

export interface JobFileCase {
  surface: "job-file";
  name: string;
  /** A change to a good job (dotted path = value), or a whole definition in its place. */
  edit: { set: Record<string, unknown> } | { definition: unknown };
  /** Exactly the problems `buildRegistry` reports for the file. */
  problems: Array<{ path: string; message: string }>;
  unchanged: Unchanged[];
}

const job = (name: string, set: Record<string, unknown>, problems: JobFileCase["problems"]): JobFileCase => ({
  surface: "job-file",
  name,
  edit: { set },
  problems,
  unchanged: ["registry"],
});

const JOB_FILES: JobFileCase[] = [
  job("a number where instructions go", { "agent.instructions": 42 }, [
    { path: "agent.instructions", message: "Invalid input: expected string, received number" },
  ]),
  job("a list where the deploy section goes", { deploy: ["sample"] }, [
    { path: "deploy", message: "Invalid input: expected object, received array" },
  ]),
  job("an unknown top-level key (a typo of triggers)", { trigers: [{ kind: "manual" }] }, [
    { path: "", message: 'Unrecognized key: "trigers"' },
  ]),
  job("an unknown key inside budgets", { "budgets.maxIteration": 5 }, [
    { path: "budgets", message: 'Unrecognized key: "maxIteration"' },
  ]),
  job("an unknown gate kind", { "gates.merge": {} }, [
    { path: "gates", message: 'Unrecognized key: "merge"' },
  ]),
  job("a cron minute out of range", { triggers: [{ kind: "schedule", cron: "61 * * * *" }] }, [
    { path: "triggers.0.cron", message: 'invalid cron "61 * * * *": bad minute field "61" (allowed 0-59)' },
  ]),
  job("a cron with six fields", { triggers: [{ kind: "schedule", cron: "0 0 3 * * *" }] }, [
    { path: "triggers.0.cron", message: 'invalid cron "0 0 3 * * *": expected 5 fields, got 6' },
  ]),
  job("a cron step of zero", { triggers: [{ kind: "schedule", cron: "*/0 * * * *" }] }, [
    { path: "triggers.0.cron", message: 'invalid cron "*/0 * * * *": bad minute field "*/0" (allowed 0-59)' },
  ]),
  job("a cron that is a number", { triggers: [{ kind: "schedule", cron: 5 }] }, [
    { path: "triggers.0.cron", message: "Invalid input: expected string, received number" },
  ]),
  job("a huge iteration budget", { "budgets.maxIterations": 1_000_000_000 }, [
    { path: "budgets.maxIterations", message: "Too big: expected number to be <=100" },
  ]),
  job("a token budget past the safe integers", { "budgets.maxTokens": 1e20 }, [
    { path: "budgets.maxTokens", message: "Too big: expected int to be <=9007199254740991" },
  ]),
  job("an infinite cost budget", { "budgets.maxCostUsd": Number.POSITIVE_INFINITY }, [
    { path: "budgets.maxCostUsd", message: "Invalid input: expected number, received Infinity" },
  ]),
  job("a deadline that is not a duration", { "budgets.deadline": "by morning" }, [
    { path: "budgets.deadline", message: '"by morning" is not a duration (use e.g. 90s, 15m, 2h, 3d)' },
  ]),
  job("a deadline of a thousand years", { "budgets.deadline": "365000d" }, [
    {
      path: "budgets.deadline",
      message: '"365000d" is longer than 365d, the longest wait a Workflow can hold',
    },
  ]),
  job("a gate timeout of a billion seconds in milliseconds", { "gates.claim": { timeout: 1e12 } }, [
    {
      path: "gates.claim.timeout",
      message: "1000000000000 ms is longer than 365d, the longest wait a Workflow can hold",
    },
  ]),
  job("a job name of 64 characters", { name: `a${"b".repeat(63)}` }, [
    { path: "name", message: "lowercase letters, digits and dashes, starting with a letter (max 63)" },
  ]),
  job(
    "a source path that climbs out of the project",
    { source: { kind: "directory", path: "workflows/../../etc" } },
    [{ path: "source.path", message: "a path relative to the project root" }],
  ),
  job(
    "a GitHub-only filter on another source",
    {
      triggers: [{ kind: "webhook", source: "acme", filter: { branch: "main" } }],
    },
    [
      {
        path: "triggers.0.filter.branch",
        message: 'only "github" deliveries carry branch; other sources filter on event (the payload\'s type)',
      },
    ],
  ),
  {
    surface: "job-file",
    name: "a file whose default export is not an object",
    edit: { definition: "hostile" },
    problems: [{ path: "", message: "Invalid input: expected object, received string" }],
    unchanged: ["registry"],
  },
];

// ------------------------------------------------------------ HTTP (API, webhooks, gates)

export type HttpBody =
  | { json: unknown }
  | { text: string }
  | { bytes: number[] }
  /** `count` copies of `unit`, as UTF-8 (a body whose byte size differs from its length). */
  | { repeat: string; count: number; prefix?: string; suffix?: string };

export interface ApiRequest {
  method: "GET" | "POST" | "DELETE" | "PUT";
  /** May hold fixture placeholders: `{pending}`, `{decided}`, `{hooked}`, `{dns}`, `{link}`. */
  path: string;
  /** Which credential (default admin: the bootstrap token); `none` sends none. */
  as?: Who | "none" | "wrong";
  headers?: Record<string, string>;
  body?: HttpBody;
  /** Inbox form posts: fetch the link page first and send its CSRF token with these fields. */
  form?: Record<string, string>;
}

/** A webhook delivery, signed (or not) by the test file as the case says. */
export type WebhookRequest =
  | {
      scheme: "github";
      body: HttpBody;
      /** null: header left out. */
      event?: string | null;
      delivery?: string | null;
      /** `valid` (the configured secret), `wrong-secret`, `none`, or a literal header value. */
      signature?: "valid" | "wrong-secret" | "none" | { literal: string };
      /** Signed over this body, sent with the case's body (a tampered delivery). */
      signedBody?: string;
    }
  | {
      scheme: "standard";
      source: string;
      body: HttpBody;
      id?: string | null;
      /** Seconds from now; or a literal header value. */
      timestamp?: number | { literal: string } | null;
      signature?: "valid" | "wrong-secret" | "none" | { literal: string };
    };

/** An inbox page's answer: its status, its refusal header and the message in its alert. */
export interface HtmlAnswer {
  html: { refusal: string | null; message: string };
}

export interface HttpCase {
  surface: "api" | "webhook" | "gate";
  name: string;
  request: ApiRequest | WebhookRequest;
  status: number;
  /** The parsed JSON body, exactly (or an inbox page's refusal). */
  body: Expected | HtmlAnswer;
  unchanged: Unchanged[];
}

const STILL = ["d1", "gates-pending", "link-usable"] satisfies Unchanged[];
const RUN_ID_RULE = "lowercase letters, digits, '-' and '_', starting with a letter or digit (max 60)";
const invalid = (path: string, message: string, issuePath = path.replace(/^(body|query)\.?/, "")) => ({
  error: {
    code: "invalid_request",
    message: `${path}: ${message}`,
    path,
    issues: [{ path: issuePath, message }],
  },
});
const error = (code: string, message: string, path?: string, extra: object = {}) => ({
  error: { code, message, ...(path !== undefined ? { path } : {}), ...extra },
});
const http = (
  surface: HttpCase["surface"],
  cases: Array<Omit<HttpCase, "surface" | "unchanged">>,
): HttpCase[] => cases.map((c) => ({ ...c, surface, unchanged: STILL }));
const post = (path: string, body?: HttpBody, extra: Partial<ApiRequest> = {}): ApiRequest => ({
  method: "POST",
  path,
  ...(body ? { body } : {}),
  ...extra,
});

const API = http("api", [
  {
    name: "a start body that is not JSON",
    request: post("/api/jobs/loop/runs", { text: "{nope" }),
    status: 400,
    body: error(
      "invalid_json",
      "body is not valid JSON: Expected property name or '}' in JSON at position 1 (line 1 column 2)",
      "body",
    ),
  },
  {
    name: "a start body that is a JSON array",
    request: post("/api/jobs/loop/runs", { json: [{ id: "x" }] }),
    status: 400,
    body: invalid("body", "Invalid input: expected object, received array", ""),
  },
  {
    name: "a start body that is JSON null",
    request: post("/api/jobs/loop/runs", { text: "null" }),
    status: 400,
    body: invalid("body", "Invalid input: expected object, received null", ""),
  },
  {
    name: "a run id that is a number",
    request: post("/api/jobs/loop/runs", { json: { id: 7 } }),
    status: 400,
    body: invalid("body.id", "Invalid input: expected string, received number"),
  },
  {
    name: "an unknown key in a start body",
    request: post("/api/jobs/loop/runs", { json: { idd: "x" } }),
    status: 400,
    body: invalid("body", 'Unrecognized key: "idd"', ""),
  },
  {
    name: "a run id with a NUL byte",
    request: post("/api/jobs/loop/runs", { json: { id: "run\u0000x" } }),
    status: 400,
    body: invalid("body.id", RUN_ID_RULE),
  },
  {
    name: "a run id that climbs directories",
    request: post("/api/jobs/loop/runs", { json: { id: "../../etc/passwd" } }),
    status: 400,
    body: invalid("body.id", RUN_ID_RULE),
  },
  {
    name: "a run id of 61 characters",
    request: post("/api/jobs/loop/runs", { json: { id: `r${"1".repeat(60)}` } }),
    status: 400,
    body: invalid("body.id", RUN_ID_RULE),
  },
  {
    name: "the id of a run that exists",
    request: post("/api/jobs/loop/runs", { json: { id: "{pending}" } }),
    status: 409,
    body: (fx: Fixture) =>
      error("conflict", `run "${fx.runs.pending}" already exists`, "body.id", { runId: fx.runs.pending }),
  },
  {
    name: "a body over 256 KiB in bytes though under it in characters",
    request: post("/api/jobs/loop/runs", {
      repeat: "é",
      count: 140_000,
      prefix: '{"input":{"pad":"',
      suffix: '"}}',
    }),
    status: 413,
    body: error("payload_too_large", "body exceeds 262144 bytes"),
  },
  {
    name: "a body that is not UTF-8",
    request: post("/api/jobs/loop/runs", { bytes: [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d] }),
    status: 400,
    body: error("invalid_json", "body is not valid UTF-8", "body"),
  },
  {
    name: "a text/plain body (what a form can send)",
    request: post("/api/jobs/loop/runs", { text: "{}" }, { headers: { "content-type": "text/plain" } }),
    status: 415,
    body: error(
      "unsupported_media_type",
      "request bodies must be application/json (got text/plain)",
      "headers.content-type",
    ),
  },
  {
    name: "a urlencoded body",
    request: post(
      "/api/runs/{pending}/cancel",
      { text: "reason=x" },
      { headers: { "content-type": "application/x-www-form-urlencoded" } },
    ),
    status: 415,
    body: error(
      "unsupported_media_type",
      "request bodies must be application/json (got application/x-www-form-urlencoded)",
      "headers.content-type",
    ),
  },
  {
    name: "a write from another origin",
    request: post(
      "/api/runs/{pending}/cancel",
      { json: {} },
      { headers: { origin: "http://127.0.0.1:9999" } },
    ),
    status: 403,
    body: error(
      "forbidden",
      "cross-origin request refused: Origin http://127.0.0.1:9999 is not this orchestrator's origin",
      "headers.origin",
    ),
  },
  {
    name: "no credential",
    request: post("/api/runs/{pending}/cancel", { json: {} }, { as: "none" }),
    status: 401,
    body: error("unauthorized", "sign in: Authorization: Bearer <token>, or through Cloudflare Access"),
  },
  {
    name: "a wrong personal token",
    request: post("/api/runs/{pending}/cancel", { json: {} }, { as: "wrong" }),
    status: 401,
    body: error("unauthorized", "unknown, revoked or expired API token"),
  },
  {
    name: "a cancel reason that is a number",
    request: post("/api/runs/{pending}/cancel", { json: { reason: 5 } }),
    status: 400,
    body: invalid("body.reason", "Invalid input: expected string, received number"),
  },
  {
    name: "a cancel by a viewer",
    request: post("/api/runs/{pending}/cancel", { json: {} }, { as: "viewer" }),
    status: 403,
    body: error("forbidden", "viewer@example.com (viewer) may not cancel runs (needs approver or admin)"),
  },
  {
    name: "a run id with a NUL byte in the path",
    request: { method: "GET", path: "/api/runs/run%00x" },
    status: 404,
    body: error("not_found", 'no run "run\u0000x"', "id"),
  },
  {
    name: "a run id that climbs directories in the path",
    request: { method: "GET", path: "/api/runs/..%2F..%2Fetc%2Fpasswd/events" },
    status: 404,
    body: error("not_found", 'no run "../../etc/passwd"', "id"),
  },
  {
    name: "an artifact ref of another run",
    request: { method: "GET", path: "/api/runs/{pending}/artifacts/..%2F{decided}%3Areport" },
    status: 404,
    body: (fx: Fixture) =>
      error("not_found", `no artifact "../${fx.runs.decided}:report" in run "${fx.runs.pending}"`, "ref"),
  },
  {
    name: "a job name that climbs directories",
    request: post("/api/jobs/..%2Floop/runs", { json: {} }),
    status: 404,
    body: error("not_found", 'no job named "../loop"', "name"),
  },
  {
    name: "a list limit that is not a number",
    request: { method: "GET", path: "/api/runs?limit=lots" },
    status: 400,
    body: invalid("query.limit", "Invalid input: expected number, received NaN"),
  },
  {
    name: "a huge list limit",
    request: { method: "GET", path: "/api/runs?limit=1000000000" },
    status: 400,
    body: invalid("query.limit", "Too big: expected number to be <=500"),
  },
  {
    name: "an unknown query parameter",
    request: { method: "GET", path: "/api/runs/{pending}/events?after=0&drop=1" },
    status: 400,
    body: invalid("query", 'Unrecognized key: "drop"', ""),
  },
  {
    name: "a sweep flag that is a string",
    request: post("/api/sweep", { json: { afterRestart: "yes" } }),
    status: 400,
    body: invalid("body.afterRestart", "Invalid input: expected boolean, received string"),
  },
  {
    name: "a token for an automation identity",
    request: post("/api/tokens", { json: { identity: "scheduler", roles: ["approver"] } }),
    status: 400,
    body: invalid("body.identity", "reserved for the run's automation"),
  },
  {
    name: "a token with a role that does not exist",
    request: post("/api/tokens", { json: { identity: "eve@example.com", roles: ["root"] } }),
    status: 400,
    body: invalid("body.roles.0", 'Invalid option: expected one of "viewer"|"approver"|"admin"|"legal"'),
  },
]);

// Secrets and fixture deliveries the webhook cases refer to (test/support/wrangler.test.jsonc).
export const GITHUB_PING = "hostile-ping-1";
export const ACME_HOOKED = "msg_hostile_hooked";
const PING = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
const DEPLOY = JSON.stringify({ type: "deploy.requested", data: { branch: "main" } });

const WEBHOOKS = http("webhook", [
  {
    name: "a GitHub delivery without a signature",
    request: { scheme: "github", event: "ping", body: { text: PING }, signature: "none" },
    status: 401,
    body: error("invalid_signature", "missing X-Hub-Signature-256 header"),
  },
  {
    name: "a GitHub signature in the old sha1 form",
    request: {
      scheme: "github",
      event: "ping",
      body: { text: PING },
      signature: { literal: "sha1=0123456789abcdef0123456789abcdef01234567" },
    },
    status: 401,
    body: error("invalid_signature", "X-Hub-Signature-256 is not sha256=<64 hex digits>"),
  },
  {
    name: "a GitHub delivery signed with another secret",
    request: { scheme: "github", event: "ping", body: { text: PING }, signature: "wrong-secret" },
    status: 401,
    body: error("invalid_signature", "X-Hub-Signature-256 does not match the body"),
  },
  {
    name: "a GitHub delivery whose body was changed after signing",
    request: { scheme: "github", event: "ping", body: { text: PING.replace("1}", "2}") }, signedBody: PING },
    status: 401,
    body: error("invalid_signature", "X-Hub-Signature-256 does not match the body"),
  },
  {
    name: "a signed GitHub delivery without a delivery id",
    request: { scheme: "github", event: "ping", body: { text: PING }, delivery: null },
    status: 400,
    body: error("invalid_request", "missing x-github-delivery header", "headers.x-github-delivery"),
  },
  {
    name: "a signed GitHub delivery without an event",
    request: { scheme: "github", event: null, body: { text: PING } },
    status: 400,
    body: error("invalid_request", "missing x-github-event header", "headers.x-github-event"),
  },
  {
    name: "a signed GitHub delivery that is not JSON",
    request: { scheme: "github", event: "ping", body: { text: "{zen:" } },
    status: 400,
    body: error(
      "invalid_json",
      "the payload is not valid JSON: Expected property name or '}' in JSON at position 1 (line 1 column 2)",
      "body",
    ),
  },
  {
    name: "a GitHub delivery over 1 MiB",
    request: {
      scheme: "github",
      event: "ping",
      body: { repeat: "x", count: 1024 * 1024, prefix: '{"p":"', suffix: '"}' },
    },
    status: 413,
    body: error("payload_too_large", "the body exceeds 1048576 bytes"),
  },
  {
    name: "a replayed GitHub delivery",
    request: { scheme: "github", event: "ping", body: { text: PING }, delivery: GITHUB_PING },
    status: 200,
    body: { delivery: { source: "github", id: GITHUB_PING, event: "ping" }, runs: [], redelivery: true },
  },
  {
    name: "a replayed GitHub delivery id with another, validly signed payload",
    request: {
      scheme: "github",
      event: "push",
      body: {
        json: { ref: "refs/heads/master", after: "f00", repository: { full_name: "Codertocat/Hello-World" } },
      },
      delivery: GITHUB_PING,
    },
    status: 200,
    body: { delivery: { source: "github", id: GITHUB_PING, event: "ping" }, runs: [], redelivery: true },
  },
  {
    name: "a Standard Webhooks delivery without webhook-id",
    request: { scheme: "standard", source: "acme", body: { text: DEPLOY }, id: null },
    status: 400,
    body: error("invalid_request", "missing webhook-id header", "headers.webhook-id"),
  },
  {
    name: "a timestamp six minutes old",
    request: { scheme: "standard", source: "acme", body: { text: DEPLOY }, timestamp: -360 },
    status: 401,
    body: error("stale_timestamp", "webhook-timestamp is more than 300s away from now"),
  },
  {
    name: "a timestamp ten minutes ahead",
    request: { scheme: "standard", source: "acme", body: { text: DEPLOY }, timestamp: 600 },
    status: 401,
    body: error("stale_timestamp", "webhook-timestamp is more than 300s away from now"),
  },
  {
    name: "a timestamp in milliseconds with a fraction",
    request: {
      scheme: "standard",
      source: "acme",
      body: { text: DEPLOY },
      timestamp: { literal: "1760000000.5" },
    },
    status: 401,
    body: error("invalid_signature", "webhook-timestamp is not a number of seconds"),
  },
  {
    name: "a Standard Webhooks delivery without a signature",
    request: { scheme: "standard", source: "acme", body: { text: DEPLOY }, signature: "none" },
    status: 401,
    body: error("invalid_signature", "missing webhook-id, webhook-timestamp or webhook-signature header"),
  },
  {
    name: "only a signature version nightshift does not check",
    request: {
      scheme: "standard",
      source: "acme",
      body: { text: DEPLOY },
      signature: { literal: "v1a,c2lnbmF0dXJl" },
    },
    status: 401,
    body: error("invalid_signature", "webhook-signature holds no v1 signature"),
  },
  {
    name: "a Standard Webhooks delivery signed with another key",
    request: { scheme: "standard", source: "acme", body: { text: DEPLOY }, signature: "wrong-secret" },
    status: 401,
    body: error("invalid_signature", "no webhook-signature matches the body"),
  },
  {
    name: "a replayed Standard Webhooks delivery",
    request: { scheme: "standard", source: "acme", body: { text: DEPLOY }, id: ACME_HOOKED },
    status: 200,
    body: (fx: Fixture) => ({
      delivery: { source: "acme", id: ACME_HOOKED, event: "deploy.requested" },
      runs: [{ job: "hook-deploy", runId: fx.runs.hooked, outcome: "started" }],
      redelivery: true,
    }),
  },
  {
    name: "a payload the job's input schema refuses",
    request: {
      scheme: "standard",
      source: "acme",
      body: { json: { type: "deploy.requested", data: { branch: 7 } } },
    },
    status: 422,
    body: error(
      "invalid_payload",
      "job hook-deploy: body.data.branch: Invalid input: expected string, received number",
      "body.data.branch",
      {
        job: "hook-deploy",
        issues: [{ path: "body.data.branch", message: "Invalid input: expected string, received number" }],
      },
    ),
  },
  {
    name: "a source nobody listens to",
    request: { scheme: "standard", source: "nobody", body: { text: DEPLOY } },
    status: 404,
    body: error("not_found", 'no job listens to webhooks from "nobody"', "source"),
  },
  {
    name: "a source name that climbs directories",
    request: { scheme: "standard", source: "..%2Fgithub", body: { text: DEPLOY } },
    status: 404,
    body: error("not_found", 'no job listens to webhooks from "../github"', "source"),
  },
]);

const decide = (run: string, gate: string, verdict: "approve" | "reject", json: unknown, as?: Who) =>
  post(`/api/runs/{${run}}/gates/${gate}/${verdict}`, { json }, as ? { as } : {});

const GATES = http("gate", [
  {
    name: "a gate kind that does not exist",
    request: decide("pending", "merge", "approve", {}),
    status: 404,
    body: (fx: Fixture) => error("not_found", `run ${fx.runs.pending} has no gate "merge"`, "gate"),
  },
  {
    name: "a gate round that never opened",
    request: decide("pending", "claim-99", "approve", {}),
    status: 404,
    body: (fx: Fixture) => error("not_found", `run ${fx.runs.pending} has no gate "claim-99"`, "gate"),
  },
  {
    name: "a gate ref that climbs directories",
    request: decide("pending", "..%2Fclaim", "approve", {}),
    status: 404,
    body: (fx: Fixture) => error("not_found", `run ${fx.runs.pending} has no gate "../claim"`, "gate"),
  },
  {
    name: "a decision on a run that does not exist",
    request: post("/api/runs/no-such-run/gates/claim/approve", { json: {} }),
    status: 404,
    body: error("not_found", 'no run "no-such-run"', "id"),
  },
  {
    name: "an approval of a gate already rejected",
    request: decide("decided", "claim", "approve", { reason: "second thoughts" }),
    status: 409,
    body: (fx: Fixture) =>
      error("gate_not_pending", "gate claim-1 is already rejected", undefined, {
        gate: fx.gate("decided", "admin"),
      }),
  },
  {
    name: "a second rejection of a gate already rejected",
    request: decide("decided", "claim", "reject", { reason: "again" }),
    status: 409,
    body: (fx: Fixture) =>
      error("gate_not_pending", "gate claim-1 is already rejected", undefined, {
        gate: fx.gate("decided", "admin"),
      }),
  },
  {
    name: "the same person approving a two-approver gate twice",
    request: decide("dns", "dns", "approve", { by: "alice" }),
    status: 409,
    body: (fx: Fixture) =>
      error(
        "already_approved",
        "alice already approved gate dns-1; it needs 2 approvals from different people (1 so far)",
        undefined,
        { gate: fx.gate("dns", "admin", "dns"), approvals: { required: 2, by: ["alice"] } },
      ),
  },
  {
    name: "an approval by a viewer",
    request: decide("pending", "claim", "approve", {}, "viewer"),
    status: 403,
    body: (fx: Fixture) =>
      error(
        "forbidden",
        "viewer@example.com (viewer) may not decide a claim gate; it needs one of: approver",
        undefined,
        {
          gate: fx.gate("pending", "viewer"),
        },
      ),
  },
  {
    name: "an approver naming someone else as the decider",
    request: decide("pending", "claim", "approve", { by: "boss@example.com" }, "approver"),
    status: 403,
    body: error(
      "forbidden",
      'approver@example.com may not act as "boss@example.com": decisions are recorded under the caller\'s own identity (leave out "by")',
      "body.by",
    ),
  },
  {
    name: "the webhook that started the run approving it",
    request: decide("hooked", "claim", "approve", { by: "webhook:acme" }),
    status: 403,
    body: error(
      "forbidden",
      '"webhook:acme" is reserved for automation; a person never acts as it',
      "body.by",
    ),
  },
  {
    name: "the run approving its own gate by its id",
    request: decide("hooked", "claim", "approve", { by: "{hooked}" }),
    status: 403,
    body: (fx: Fixture) =>
      error("forbidden", `"${fx.runs.hooked}" is automation; automation never decides a gate`, undefined, {
        // Shown as to anyone who may not decide it: without the claim URL.
        gate: fx.gate("hooked", "viewer"),
      }),
  },
  {
    name: "the run approving its own gate as run:<id>",
    request: decide("hooked", "claim", "approve", { by: "run:{hooked}" }),
    status: 403,
    body: (fx: Fixture) =>
      error(
        "forbidden",
        `"run:${fx.runs.hooked}" is reserved for automation; a person never acts as it`,
        "body.by",
      ),
  },
  {
    name: "a rejection without a reason",
    request: decide("pending", "claim", "reject", {}),
    status: 400,
    body: invalid("body.reason", "Invalid input: expected string, received undefined"),
  },
  {
    name: "a rejection with an empty reason",
    request: decide("pending", "claim", "reject", { reason: "" }),
    status: 400,
    body: invalid("body.reason", "a rejection needs a reason"),
  },
  {
    name: "a reason of 2001 characters",
    request: decide("pending", "claim", "approve", { reason: "r".repeat(2001) }),
    status: 400,
    body: invalid("body.reason", "Too big: expected string to have <=2000 characters"),
  },
  {
    name: "an approval bound to a view that is not the gate's",
    request: decide("pending", "claim", "approve", { shownHash: "sha256:stale" }),
    status: 409,
    body: (fx: Fixture) =>
      error(
        "shown_changed",
        "what this gate shows has changed since you looked; review it again",
        undefined,
        {
          gate: fx.gate("pending", "admin"),
        },
      ),
  },
  {
    name: "a decision field the API does not have",
    request: decide("pending", "claim", "approve", { decision: "approve" }),
    status: 400,
    body: invalid("body", 'Unrecognized key: "decision"', ""),
  },
  {
    name: "a signed link that lives ten seconds",
    request: post("/api/runs/{pending}/gates/claim/links", { json: { ttlSeconds: 10 } }),
    status: 400,
    body: invalid("body.ttlSeconds", "Too small: expected number to be >=60"),
  },
  {
    name: "a signed link issued to the automation",
    request: post("/api/runs/{pending}/gates/claim/links", { json: { to: "system" } }),
    status: 403,
    body: error("forbidden", '"system" is reserved for automation', "body.to"),
  },
  {
    name: "a signed link asked for by a viewer",
    request: post("/api/runs/{pending}/gates/claim/links", { json: {} }, { as: "viewer" }),
    status: 403,
    body: error(
      "forbidden",
      "cannot hand out a link to decide: viewer@example.com (viewer) may not decide a claim gate; it needs one of: approver",
    ),
  },
  {
    name: "a signed link for a gate already decided",
    request: post("/api/runs/{decided}/gates/claim/links", { json: {} }),
    status: 409,
    body: error("gate_not_pending", "gate claim-1 is already rejected"),
  },
  {
    name: "a signed link whose token was tampered with",
    request: { method: "GET", path: "/inbox/l/{link}x" },
    status: 403,
    body: { html: { refusal: "link_invalid", message: "this link is not one of ours (bad signature)" } },
  },
  {
    name: "a rejection through a signed link without a reason",
    request: { method: "POST", path: "/inbox/l/{link}", form: { decision: "reject", reason: "  " } },
    status: 400,
    body: {
      html: { refusal: "reason_required", message: "A rejection needs a reason. Go back and write one." },
    },
  },
  {
    name: "a signed-link decision posted from another site",
    request: {
      method: "POST",
      path: "/inbox/l/{link}",
      form: { decision: "approve" },
      headers: { origin: "http://evil.example" },
    },
    status: 403,
    body: { html: { refusal: null, message: "This form was posted from another site." } },
  },
]);

// ------------------------------------------------------------ agent output

/** A tool call the scripted model makes; `rawArguments` is sent as is instead of `input` as JSON. */
export interface HostileToolCall {
  name: string;
  input?: Record<string, unknown>;
  rawArguments?: string;
}

export interface AgentOutputCase {
  surface: "agent-output";
  name: string;
  agent:
    | {
        kind: "llm";
        /** The model's first turn (after it, the model says "done"). */
        calls: HostileToolCall[];
        /** Usage the model reports for every turn (default: 100 in, 20 out). */
        usage?: { in: number; out: number };
      }
    | {
        kind: "cli";
        adapter: "claude-code" | "codex";
        /** A shell script standing in for the CLI: what it prints is the hostile output. */
        script: string;
      };
  /** LLM: exactly the tool results the model got back, in order. */
  toolResults?: string[];
  /** What the round returns: ok with summary and files changed, or the error code and message. */
  result:
    | { ok: true; summary: string; filesChanged: string[] }
    | { ok: false; code: string; message: string };
  /** `estimated`: the server's usage was not believed and the round was charged by estimate. */
  usage?: { tokensIn: number; tokensOut: number; costUsd: number } | "estimated";
  unchanged: Unchanged[];
}

const llm = (
  name: string,
  calls: HostileToolCall[],
  toolResults: string[],
  usage?: { in: number; out: number },
): AgentOutputCase => ({
  surface: "agent-output",
  name,
  agent: { kind: "llm", calls, ...(usage ? { usage } : {}) },
  toolResults,
  result: { ok: true, summary: "done", filesChanged: [] },
  unchanged: ["workspace", "host-files"],
});
const outside = (path: string) => `error: path must be under /workspace: ${path}`;

const AGENT_OUTPUT: AgentOutputCase[] = [
  llm(
    "a tool that does not exist",
    [{ name: "delete_everything", input: { path: "." } }],
    ['error: unknown tool "delete_everything"'],
  ),
  llm(
    "tool arguments that are not JSON",
    [{ name: "write_file", rawArguments: '{"path": "a.txt", "content": ' }],
    ["error: invalid arguments for write_file: path Invalid input: expected string, received undefined"],
  ),
  llm(
    "tool arguments that are a JSON array",
    [{ name: "read_file", rawArguments: '["README.md"]' }],
    ["error: invalid arguments for read_file: (root) Invalid input: expected object, received array"],
  ),
  llm(
    "a write without content",
    [{ name: "write_file", input: { path: "a.txt" } }],
    ["error: invalid arguments for write_file: content Invalid input: expected string, received undefined"],
  ),
  llm(
    "a path that is a number",
    [{ name: "read_file", input: { path: 42 } }],
    ["error: invalid arguments for read_file: path Invalid input: expected string, received number"],
  ),
  llm(
    "a command time limit of a day",
    [{ name: "run_command", input: { command: "true", timeout_seconds: 86_400 } }],
    ["error: invalid arguments for run_command: timeout_seconds Too big: expected number to be <=600"],
  ),
  llm(
    "a write to ../../etc/passwd",
    [{ name: "write_file", input: { path: "../../etc/passwd", content: "root::0:0::/:/bin/sh\n" } }],
    [outside("../../etc/passwd")],
  ),
  llm(
    "a write to an absolute path",
    [{ name: "write_file", input: { path: "/etc/passwd", content: "x" } }],
    [outside("/etc/passwd")],
  ),
  llm(
    "a read of the process environment",
    [{ name: "read_file", input: { path: "/proc/self/environ" } }],
    [outside("/proc/self/environ")],
  ),
  llm("a listing of the root", [{ name: "list_files", input: { path: "/" } }], [outside("/")]),
  llm(
    "an edit that climbs out of the workspace",
    [{ name: "edit_file", input: { path: "../workspace/../etc/hosts", old_text: "a", new_text: "b" } }],
    [outside("../workspace/../etc/hosts")],
  ),
  llm(
    "a write with a NUL byte in the path",
    [{ name: "write_file", input: { path: "notes\u0000.txt", content: "x" } }],
    ["error: path contains a NUL byte: notes\u0000.txt"],
  ),
  llm(
    "a write through a symlink planted to the host",
    [{ name: "write_file", input: { path: "escape/planted.txt", content: "x" } }],
    ["error: path escapes /workspace through a symlink: /workspace/escape/planted.txt"],
  ),
  llm(
    "a deploy the loop forbids",
    [{ name: "run_command", input: { command: "npx wrangler deploy" } }],
    ["error: refused: deploying is the loop's job (deploy step), not the agent's"],
  ),
  {
    ...llm("a model that reports negative usage", [], [], { in: -1_000_000, out: -1_000_000 }),
    usage: "estimated",
  },
  {
    surface: "agent-output",
    name: "a CLI printing binary garbage",
    agent: {
      kind: "cli",
      adapter: "claude-code",
      script: 'head -c 4096 /dev/urandom; printf \'\\n{"type":"resu\'',
    },
    result: { ok: false, code: "agent_failed", message: "claude-code: ended without its final event" },
    unchanged: ["workspace", "host-files"],
  },
  {
    surface: "agent-output",
    name: "a CLI printing JSON that is not its events",
    agent: {
      kind: "cli",
      adapter: "codex",
      script: 'printf \'[1,2]\\nnull\\n"turn.completed"\\n{"type":42}\\n\'',
    },
    result: { ok: false, code: "agent_failed", message: "codex: ended without its final event" },
    unchanged: ["workspace", "host-files"],
  },
  {
    surface: "agent-output",
    name: "a CLI printing garbage and failing",
    agent: {
      kind: "cli",
      adapter: "claude-code",
      script: "echo '<html>502 Bad Gateway</html>'; echo 'segfault' >&2; exit 139",
    },
    result: { ok: false, code: "agent_failed", message: "claude-code: exited 139 — segfault" },
    unchanged: ["workspace", "host-files"],
  },
  {
    surface: "agent-output",
    name: "a CLI claiming a write outside the workspace and negative usage",
    agent: {
      kind: "cli",
      adapter: "claude-code",
      script: [
        "printf '%s\\n'",
        `'{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Write","input":{"file_path":"/etc/passwd","content":"x"}}]}}'`,
        `'{"type":"result","subtype":"success","is_error":false,"result":"wrote /etc/passwd","total_cost_usd":-50,"usage":{"input_tokens":-5000000,"output_tokens":10}}'`,
      ].join(" "),
    },
    result: { ok: true, summary: "wrote /etc/passwd", filesChanged: [] },
    usage: { tokensIn: 0, tokensOut: 10, costUsd: 0 },
    unchanged: ["workspace", "host-files"],
  },
];

// ------------------------------------------------------------ Sandbox host

export interface SandboxHostCase {
  surface: "sandbox-host";
  name: string;
  request: {
    method: "GET" | "POST" | "DELETE";
    /** `{box}`: the fixture Sandbox, which exists. */
    path: string;
    body?: HttpBody;
    /** false: no bearer secret. */
    auth?: boolean;
  };
  status: number;
  body: unknown;
  unchanged: Unchanged[];
}

const HOST_STILL = ["host-state", "workspace", "host-files"] satisfies Unchanged[];
const hostError = (code: string, message: string) => ({ error: { code, message } });
const host = (cases: Array<Omit<SandboxHostCase, "surface" | "unchanged">>): SandboxHostCase[] =>
  cases.map((c) => ({ ...c, surface: "sandbox-host", unchanged: HOST_STILL }));
const hostPost = (path: string, json: unknown): SandboxHostCase["request"] => ({
  method: "POST",
  path,
  body: { json },
});

const SANDBOX_HOST = host([
  {
    name: "no bearer secret",
    request: { ...hostPost("/sandboxes/{box}/exec", { command: "touch /workspace/ran" }), auth: false },
    status: 401,
    body: hostError("unauthorized", "missing or wrong bearer secret (Authorization: Bearer <secret>)"),
  },
  {
    name: "a Sandbox name in capitals",
    request: { method: "GET", path: "/sandboxes/NOPE" },
    status: 400,
    body: hostError("invalid", "bad Sandbox name: NOPE"),
  },
  {
    name: "a Sandbox name that climbs directories",
    request: hostPost("/sandboxes/..%2F..%2Fetc/files/read", { path: "passwd" }),
    status: 400,
    body: hostError("invalid", "bad Sandbox name: ../../etc"),
  },
  {
    name: "a Sandbox name with a NUL byte",
    request: hostPost("/sandboxes/box%00x/files/write", { path: "a.txt", content: "x" }),
    status: 400,
    body: hostError("invalid", "bad Sandbox name: box\u0000x"),
  },
  {
    name: "the processes of an unknown Sandbox",
    request: { method: "GET", path: "/sandboxes/ghost/processes" },
    status: 404,
    body: hostError("not_found", "no Sandbox ghost"),
  },
  {
    name: "the logs of a process in an unknown Sandbox",
    request: { method: "GET", path: "/sandboxes/ghost/processes/p1/logs" },
    status: 404,
    body: hostError("not_found", "no Sandbox ghost"),
  },
  {
    name: "killing a process in an unknown Sandbox",
    request: { method: "DELETE", path: "/sandboxes/ghost/processes/p1" },
    status: 404,
    body: hostError("not_found", "no Sandbox ghost"),
  },
  {
    name: "restoring a snapshot that does not exist",
    request: hostPost("/sandboxes/{box}/restore", { snapshotId: "snap-none" }),
    status: 404,
    body: hostError("not_found", "no snapshot snap-none"),
  },
  {
    name: "pinning a snapshot that does not exist",
    request: hostPost("/snapshots/snap-none/pin", { pinned: true }),
    status: 404,
    body: hostError("not_found", "no snapshot snap-none"),
  },
  {
    name: "a read of ../../etc/passwd",
    request: hostPost("/sandboxes/{box}/files/read", { path: "../../etc/passwd" }),
    status: 400,
    body: hostError("invalid", "path must be under /workspace: ../../etc/passwd"),
  },
  {
    name: "a write to an absolute path outside the workspace",
    request: hostPost("/sandboxes/{box}/files/write", {
      path: "/etc/cron.d/evil",
      content: "* * * * * root sh",
    }),
    status: 400,
    body: hostError("invalid", "path must be under /workspace: /etc/cron.d/evil"),
  },
  {
    name: "a write that climbs out after entering the workspace",
    request: hostPost("/sandboxes/{box}/files/write", { path: "/workspace/../etc/x", content: "x" }),
    status: 400,
    body: hostError("invalid", "path must be under /workspace: /workspace/../etc/x"),
  },
  {
    name: "a write with a NUL byte in the path",
    request: hostPost("/sandboxes/{box}/files/write", { path: "/workspace/a\u0000b", content: "x" }),
    status: 400,
    body: hostError("invalid", "path contains a NUL byte: /workspace/a\u0000b"),
  },
  {
    name: "a write through a symlink that leads to the host",
    request: hostPost("/sandboxes/{box}/files/write", { path: "escape/planted.txt", content: "x" }),
    status: 400,
    body: hostError("invalid", "path escapes /workspace through a symlink: escape/planted.txt"),
  },
  {
    name: "a listing of the root",
    request: hostPost("/sandboxes/{box}/files/list", { path: "/", recursive: true }),
    status: 400,
    body: hostError("invalid", "path must be under /workspace: /"),
  },
  {
    name: "deleting the workspace itself",
    request: hostPost("/sandboxes/{box}/files/delete", { path: "/workspace/", recursive: true }),
    status: 400,
    body: hostError("invalid", "refusing to delete /workspace itself"),
  },
  {
    name: "a command run from /etc",
    request: hostPost("/sandboxes/{box}/exec", { command: "touch ran", cwd: "/etc" }),
    status: 400,
    body: hostError("invalid", "path must be under /workspace: /etc"),
  },
  {
    name: "a process id that climbs directories",
    request: hostPost("/sandboxes/{box}/processes", { command: "sleep 1", processId: "../p" }),
    status: 400,
    body: hostError("invalid", "processId: Invalid string: must match pattern /^[A-Za-z0-9._-]{1,64}$/"),
  },
  {
    name: "exposing a privileged port",
    request: hostPost("/sandboxes/{box}/ports", { port: 22 }),
    status: 400,
    body: hostError("invalid", "port: Too small: expected number to be >=1024"),
  },
  {
    name: "a body that is not JSON",
    request: { method: "POST", path: "/sandboxes/{box}/files/write", body: { text: "path=/etc/passwd" } },
    status: 400,
    body: hostError("invalid", "body must be JSON"),
  },
  {
    name: "an unknown field in a write",
    request: hostPost("/sandboxes/{box}/files/write", { path: "a.txt", content: "x", mode: "0777" }),
    status: 400,
    body: hostError("invalid", 'body: Unrecognized key: "mode"'),
  },
  {
    name: "a route the host does not have",
    request: { method: "GET", path: "/sandboxes/{box}/shell" },
    status: 404,
    body: hostError("not_found", "no route /sandboxes/{box}/shell"),
  },
]);

// ------------------------------------------------------------ the one table

export type HostileCase = JobFileCase | HttpCase | AgentOutputCase | SandboxHostCase;
export type Surface = HostileCase["surface"];

export const CORPUS: readonly HostileCase[] = [
  ...JOB_FILES,
  ...API,
  ...WEBHOOKS,
  ...GATES,
  ...AGENT_OUTPUT,
  ...SANDBOX_HOST,
];

export function casesOf<S extends Surface>(surface: S): Array<Extract<HostileCase, { surface: S }>> {
  return CORPUS.filter((c): c is Extract<HostileCase, { surface: S }> => c.surface === surface);
}

/** How many inputs of each surface the corpus shows refused (for docs/benchmarks.md). */
export const REFUSED_PER_SURFACE: Readonly<Record<Surface, number>> = {
  "job-file": JOB_FILES.length,
  api: API.length,
  webhook: WEBHOOKS.length,
  gate: GATES.length,
  "agent-output": AGENT_OUTPUT.length,
  "sandbox-host": SANDBOX_HOST.length,
};
