/**
 * Webhooks: signed deliveries that start runs. Not behind the API's bearer
 * token: each source authenticates by signature with its own secrets
 * (`WEBHOOK_SECRET_<SOURCE>`, see src/triggers/secrets.ts).
 *
 * - `POST /webhooks/github`: GitHub's `X-Hub-Signature-256`; `X-GitHub-Event`
 *   and the job filters pick the jobs; `X-GitHub-Delivery` is the delivery id.
 * - `POST /webhooks/:source`: Standard Webhooks (`webhook-id`,
 *   `webhook-timestamp`, `webhook-signature`), 5-minute timestamp tolerance.
 *
 * Order of checks, and answers: unknown source (no secret or no job listens)
 * 404 → body over the limit 413 → signature 401 → delivery seen before 200
 * with its runs → not JSON 400 → no job matches 202 `{ runs: [] }` → a
 * payload a job's input schema refuses 422 with the path (nothing starts) →
 * 202 with what each job did (started, queued, skipped). The run id is
 * derived from job + source + delivery id, so even concurrent redeliveries
 * start one run. Secrets, signatures and headers never reach logs or D1.
 */
import { type Context, Hono } from "hono";
import { type TriggerOutcome, triggerRun } from "../control/trigger-run.ts";
import type { Env } from "../env.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import type { Job, WebhookDelivery, WebhookTrigger } from "../jobs/schema.ts";
import type { Notifier } from "../ports/notifier.ts";
import { type DeliveryRun, getDelivery, recordDelivery } from "../store/deliveries.ts";
import { type DeliveryFacts, githubFacts, matchesFilter, standardFacts } from "../triggers/filters.ts";
import { webhookInput } from "../triggers/payload-input.ts";
import { webhookRunId } from "../triggers/run-ids.ts";
import { secretEnvName, secretsFor } from "../triggers/secrets.ts";
import { type SignatureError, verifyGithubSignature, verifyStandardWebhook } from "../triggers/signatures.ts";
import { ApiError } from "../web/errors.ts";

/** GitHub caps payloads at 25 MB; runs carry their input in D1 and Workflow params, so we take far less. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** The run input a payload maps to (D1 row and Workflow params); an `input` schema keeps only what it names. */
export const MAX_RUN_INPUT_BYTES = 256 * 1024;

export interface WebhookOptions {
  registry: JobRegistry;
  now?: () => number;
  notifierFor?: (env: Env) => Notifier;
  maxBodyBytes?: number;
}

type Scheme = "github" | "standard";

interface Delivery {
  source: string;
  id: string;
  event: string | null;
  payload: unknown;
  facts: DeliveryFacts;
}

const SOURCE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

export function createWebhooks(options: WebhookOptions) {
  const now = options.now ?? (() => Date.now());
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const app = new Hono<{ Bindings: Env }>();

  const listeners = (source: string): Array<{ job: Job; triggers: WebhookTrigger[] }> =>
    [...options.registry.jobs.values()]
      .map((job) => ({
        job,
        triggers: job.triggers.filter(
          (t): t is WebhookTrigger => t.kind === "webhook" && t.source === source,
        ),
      }))
      .filter((l) => l.triggers.length > 0);

  const handle = (scheme: Scheme) => async (c: Context<{ Bindings: Env }>) => {
    const source = scheme === "github" ? "github" : (c.req.param("source") ?? "");
    const request = c.req.raw;
    const jobs = SOURCE_NAME.test(source) ? listeners(source) : [];
    const secrets = SOURCE_NAME.test(source) ? secretsFor(c.env, source) : [];
    if (jobs.length === 0 || secrets.length === 0)
      throw new ApiError(
        "not_found",
        jobs.length === 0
          ? `no job listens to webhooks from "${source}"`
          : `webhooks from "${source}" are not configured (set the secret ${secretEnvName(source)})`,
        "source",
      );

    const body = await readLimited(request, maxBytes);
    if (!body) throw new ApiError("payload_too_large", `the body exceeds ${maxBytes} bytes`);

    // The delivery id is part of what Standard Webhooks sign: without it there is nothing to
    // check, and the sender's fault is the request's shape (400), not a bad signature.
    if (scheme !== "github") header(request.headers, "webhook-id");
    const at = now();
    const verified =
      scheme === "github"
        ? await verifyGithubSignature({
            secrets,
            header: request.headers.get("x-hub-signature-256") ?? undefined,
            body,
          })
        : await verifyStandardWebhook({
            secrets,
            id: request.headers.get("webhook-id") ?? undefined,
            timestamp: request.headers.get("webhook-timestamp") ?? undefined,
            signatures: request.headers.get("webhook-signature") ?? undefined,
            body,
            now: at,
          });
    if (!verified.ok) throw signatureError(verified.error, source);

    const delivery = parseDelivery(scheme, source, request.headers, body);
    const seen = await getDelivery(c.env.DB, source, delivery.id);
    if (seen)
      return Response.json(
        { delivery: { source, id: delivery.id, event: seen.event }, runs: seen.runs_json, redelivery: true },
        { status: 200 },
      );

    // Which jobs, and their inputs: all mapped before anything starts, so one bad fit starts nothing.
    const meta: WebhookDelivery = { source, event: delivery.event, deliveryId: delivery.id };
    const planned: Array<{ job: Job; input: unknown }> = [];
    for (const { job, triggers } of jobs) {
      const trigger = triggers.find((t) => matchesFilter(t.filter, delivery.facts));
      if (!trigger) continue;
      const input = webhookInput(trigger, delivery.payload, meta);
      if (!input.ok)
        throw new ApiError("invalid_payload", `job ${job.name}: ${input.error.message}`, input.error.path, {
          job: job.name,
          issues: input.error.issues,
        });
      if (JSON.stringify(input.value).length > MAX_RUN_INPUT_BYTES)
        throw new ApiError(
          "payload_too_large",
          `job ${job.name}: the run input exceeds ${MAX_RUN_INPUT_BYTES} bytes; give its webhook trigger an input schema that keeps what the run needs`,
        );
      planned.push({ job, input: input.value });
    }

    const runs: DeliveryRun[] = [];
    for (const { job, input } of planned) {
      const outcome = await triggerRun(
        c.env,
        {
          job,
          runId: await webhookRunId(job.name, source, delivery.id),
          input,
          trigger: "webhook",
          actor: `webhook:${source}`,
          now: at,
          details: { source, deliveryId: delivery.id, event: delivery.event },
        },
        { notifier: options.notifierFor?.(c.env) },
      );
      // Not recorded: the sender retries, and the runs already started are found again by id.
      if (outcome.outcome === "unavailable")
        throw new ApiError("unavailable", `could not start a run of ${job.name}: ${outcome.message}`);
      runs.push(deliveryRun(job.name, outcome));
    }
    await recordDelivery(c.env.DB, { source, deliveryId: delivery.id, event: delivery.event, runs, at });
    console.log(
      `nightshift webhook: ${source} delivery ${delivery.id} (${delivery.event ?? "no event"}) → ${
        runs.map((r) => `${r.job}:${r.outcome}`).join(", ") || "no job matched"
      }`,
    );
    return Response.json(
      { delivery: { source, id: delivery.id, event: delivery.event }, runs },
      { status: 202 },
    );
  };

  app.post("/github", handle("github"));
  app.post("/:source", handle("standard"));
  return app;
}

function deliveryRun(job: string, outcome: Exclude<TriggerOutcome, { outcome: "unavailable" }>): DeliveryRun {
  return {
    job,
    runId: outcome.runId,
    outcome: outcome.outcome,
    ...(outcome.outcome === "skipped" ? { reason: outcome.reason } : {}),
  };
}

function signatureError(error: SignatureError, source: string): ApiError {
  if (error.code === "bad_secret")
    return new ApiError(
      "unavailable",
      `the secret configured for "${source}" is not a whsec_<base64> secret`,
    );
  const code = error.code === "stale_timestamp" ? "stale_timestamp" : "invalid_signature";
  return new ApiError(code, error.message);
}

function header(headers: Headers, name: string): string {
  const value = headers.get(name);
  if (!value) throw new ApiError("invalid_request", `missing ${name} header`, `headers.${name}`);
  return value;
}

function parseDelivery(scheme: Scheme, source: string, headers: Headers, body: Uint8Array): Delivery {
  const payload = parsePayload(headers.get("content-type"), new TextDecoder().decode(body));
  if (scheme === "github") {
    const event = header(headers, "x-github-event");
    return {
      source,
      id: header(headers, "x-github-delivery"),
      event,
      payload,
      facts: githubFacts(event, payload),
    };
  }
  const facts = standardFacts(payload);
  return { source, id: header(headers, "webhook-id"), event: facts.event, payload, facts };
}

/** JSON, or GitHub's `application/x-www-form-urlencoded` option (the JSON in a `payload` field). */
function parsePayload(contentType: string | null, text: string): unknown {
  let json = text;
  if (contentType?.toLowerCase().startsWith("application/x-www-form-urlencoded"))
    json = new URLSearchParams(text).get("payload") ?? "";
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new ApiError("invalid_json", `the payload is not valid JSON: ${(error as Error).message}`, "body");
  }
}

/** Reads at most `max` bytes; null when the body is longer (the declared length is checked first). */
async function readLimited(request: Request, max: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) return null;
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
