/**
 * The job definition: what a file in `workflows/` declares. Strict objects so a
 * typo fails with its path instead of being ignored. Durations accept "15m".
 * Pure schema; loading files lives in `load.ts`, the registry in `registry.ts`.
 */
import { GATE_KINDS } from "../ports/vocabulary.ts";
import { z } from "zod";
import { parseCron } from "./cron.ts";
import { durationSchema } from "./duration.ts";

const nameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes, starting with a letter (max 63)");

const cronSchema = z.string().superRefine((text, ctx) => {
  const parsed = parseCron(text);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: `invalid cron "${text}": ${parsed.error}` });
});

/** What a webhook's `map` function gets besides the payload. */
export interface WebhookDelivery {
  source: string;
  /** `X-GitHub-Event`, or a Standard Webhooks payload's `type`. */
  event: string | null;
  deliveryId: string;
}
/**
 * Turns a (parsed) webhook payload into the run's input; runs in the Worker, before anything
 * starts. The payload parameter is `never` so a job may declare whatever shape its `input` yields.
 */
export type WebhookInputMap = (payload: never, delivery: WebhookDelivery) => unknown;

const isZodSchema = (value: unknown): value is z.ZodType =>
  typeof value === "object" && value !== null && typeof (value as z.ZodType).safeParse === "function";

/** Filter fields only GitHub deliveries carry facts for (see src/triggers/filters.ts). */
const GITHUB_ONLY_FILTERS = ["action", "repository", "branch", "label"] as const;

export const triggerSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("schedule"),
    cron: cronSchema,
    /** The run's input when this schedule starts it. */
    input: z.record(z.string(), z.unknown()).optional(),
  }),
  z
    .strictObject({
      kind: z.literal("webhook"),
      source: nameSchema,
      filter: z
        .strictObject({
          event: z.string().min(1).optional(),
          action: z.string().min(1).optional(),
          repository: z.string().min(1).optional(),
          branch: z.string().min(1).optional(),
          label: z.string().min(1).optional(),
        })
        .optional(),
      /** A zod schema the payload must fit (else 422, nothing starts); its output is the run's input. */
      input: z.custom<z.ZodType>(isZodSchema, "a zod schema").optional(),
      /** Maps the payload (after `input`, when given) to the run's input. */
      map: z
        .custom<WebhookInputMap>(
          (value) => typeof value === "function",
          "a function (payload, delivery) => input",
        )
        .optional(),
    })
    .superRefine((trigger, ctx) => {
      if (trigger.source === "github" || !trigger.filter) return;
      for (const key of GITHUB_ONLY_FILTERS) {
        if (trigger.filter[key] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: ["filter", key],
            message: `only "github" deliveries carry ${key}; other sources filter on event (the payload's type)`,
          });
      }
    }),
  z.strictObject({ kind: z.literal("manual") }),
]);

export const sourceSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("git"), url: z.url(), ref: z.string().min(1).default("main") }),
  z.strictObject({
    kind: z.literal("directory"),
    path: z
      .string()
      .min(1)
      .refine(
        (p) => !p.startsWith("/") && !p.split("/").includes(".."),
        "a path relative to the project root",
      ),
  }),
]);

export const agentSchema = z.strictObject({
  adapter: z.string().min(1),
  instructions: z.string().min(1),
  model: z.string().min(1).optional(),
  options: z.record(z.string(), z.unknown()).default({}),
});

export const probeSchema = z.strictObject({
  name: z.string().min(1).optional(),
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]).default("GET"),
  path: z.string().startsWith("/"),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  expect: z
    .strictObject({
      status: z.number().int().min(100).max(599).default(200),
      headers: z.record(z.string(), z.string()).default({}),
      bodyContains: z.string().optional(),
      bodyMatches: z
        .string()
        .refine((source) => {
          try {
            new RegExp(source);
            return true;
          } catch {
            return false;
          }
        }, "not a valid regular expression")
        .optional(),
      json: z.record(z.string(), z.unknown()).optional(),
      maxLatency: durationSchema.optional(),
    })
    .prefault({}),
});

export const commandCheckSchema = z.strictObject({
  name: z.string().min(1).optional(),
  run: z.string().min(1),
  expectExit: z.number().int().min(0).max(255).default(0),
  timeout: durationSchema.default(120_000),
});

export const budgetsSchema = z.strictObject({
  maxIterations: z.number().int().min(1).max(100).default(3),
  maxDeploys: z.number().int().min(1).max(200).default(6),
  deadline: durationSchema.default(3_600_000),
  maxTokens: z.number().int().min(0).default(2_000_000),
  maxCostUsd: z.number().min(0).default(5),
  maxSandboxMinutes: z.number().min(0).default(60),
});

export const gateKindSchema = z.enum(GATE_KINDS);

export const gatePolicySchema = z.strictObject({
  approvers: z.array(z.string().min(1)).min(1).default(["approver"]),
  timeout: durationSchema.default(86_400_000),
});

/** A `dns` gate may ask for two different approvers (four eyes on production DNS). */
export const dnsGatePolicySchema = gatePolicySchema.extend({
  required: z.number().int().min(1).max(2).default(1),
});

export const gatesSchema = z
  .strictObject({
    tos: gatePolicySchema.prefault({ approvers: ["legal"] }),
    claim: gatePolicySchema.prefault({}),
    dns: dnsGatePolicySchema.prefault({}),
    /** Undoing a run's DNS change (`nightshift rollback <run>`) waits at its own gate. */
    rollback: gatePolicySchema.prefault({}),
  })
  .prefault({});

const dnsRecordInputSchema = z.strictObject({
  type: z
    .string()
    .min(1)
    .transform((t) => t.toUpperCase()),
  name: z.string().min(1),
  content: z.string().min(1),
  proxied: z.boolean().default(false),
  /** 1 means automatic. */
  ttl: z.number().int().min(1).default(1),
});

export const dnsSchema = z
  .strictObject({
    zone: z.string().min(1),
    /** The hostname that was asked for; the plan must serve exactly this one. */
    hostname: z.string().min(1),
    mode: z.enum(["custom-domain", "route"]).default("custom-domain"),
    /** Hostnames the job may touch (the requested hostname is always allowed). */
    allowedHostnames: z.array(z.string().min(1)).default([]),
    /** Extra DNS records to create or change beside the Worker's hostname. */
    records: z.array(dnsRecordInputSchema).default([]),
    /** Records to delete (needs `allowDelete`). */
    delete: z.array(z.strictObject({ type: z.string().min(1), name: z.string().min(1) })).default([]),
    allowDelete: z.boolean().default(false),
    allowWildcard: z.boolean().default(false),
    allowApex: z.boolean().default(false),
  })
  .refine((d) => d.hostname === d.zone || d.hostname.endsWith(`.${d.zone}`), {
    message: "hostname must be inside the zone",
    path: ["hostname"],
  });
export type DnsSection = z.output<typeof dnsSchema>;

export const jobSchema = z.strictObject({
  name: nameSchema,
  description: z.string().default(""),
  triggers: z
    .array(triggerSchema)
    .min(1)
    .default([{ kind: "manual" }]),
  source: sourceSchema,
  setup: z.array(z.string().min(1)).default([]),
  agent: agentSchema,
  deploy: z.strictObject({
    workerName: nameSchema,
    config: z.string().min(1).default("wrangler.jsonc"),
    /** Wait this long after a deploy before probing (propagation). */
    settle: durationSchema.default(0),
    /** After a claim is approved: how often to look whether it happened (two steps per look; a 60-minute window at 30 s is 240 looks). */
    claimPoll: durationSchema.default(30_000),
  }),
  verify: z
    .strictObject({
      probes: z.array(probeSchema).default([]),
      commands: z.array(commandCheckSchema).default([]),
    })
    .refine((v) => v.probes.length + v.commands.length > 0, "declare at least one probe or command"),
  budgets: budgetsSchema.prefault({}),
  gates: gatesSchema,
  promotion: z.enum(["claim", "deploy"]).default("claim"),
  dns: dnsSchema.optional(),
  /**
   * What a schedule or webhook does while a run of this job is active: `skip` it,
   * `queue` it (started when the active run ends), or `allow` runs side by side.
   * API starts are never held back.
   */
  concurrency: z.enum(["skip", "queue", "allow"]).default("skip"),
  /** Pause the job's schedules and webhooks after this many failed runs in a row (0: never). */
  pauseAfterFailures: z.number().int().min(0).max(100).default(3),
});

/** What a job file may contain (before defaults). */
export type JobInput = z.input<typeof jobSchema>;
/** A validated job with every default filled in. */
export type Job = z.output<typeof jobSchema>;
export type GateKind = z.infer<typeof gateKindSchema>;
export type Trigger = z.output<typeof triggerSchema>;
export type WebhookTrigger = Extract<Trigger, { kind: "webhook" }>;
export type ScheduleTrigger = Extract<Trigger, { kind: "schedule" }>;
export type Probe = z.output<typeof probeSchema>;
export type CommandCheck = z.output<typeof commandCheckSchema>;
export type Budgets = z.output<typeof budgetsSchema>;
