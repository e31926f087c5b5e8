/**
 * Zod schemas for D1 rows and their typed shapes. Rows are parsed on the way
 * out so a schema drift fails loudly at the edge instead of deep inside.
 */
import { GATE_KINDS, GATE_STATUSES } from "../ports/vocabulary.ts";
import { z } from "zod";

const json = z.string().transform((text) => JSON.parse(text) as unknown);
const nullableJson = z
  .string()
  .nullable()
  .transform((text) => (text === null ? null : (JSON.parse(text) as unknown)));

export const RUN_STATUSES = ["starting", "running", "waiting", "final"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const runRow = z.object({
  id: z.string(),
  job: z.string(),
  trigger: z.string(),
  status: z.enum(RUN_STATUSES),
  state: z.string(),
  input_json: json,
  context_json: nullableJson,
  outcome_json: nullableJson,
  step_count: z.number(),
  current_step: z.string().nullable(),
  wake_at: z.number().nullable(),
  cancel_requested_at: z.number().nullable(),
  cancel_requested_by: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  /** How many times the run was resumed after failing on infrastructure (migration 0007). */
  resumes: z.number().int().min(0).default(0),
  /** The machine state a fault ended the run in, while it lies failed (migration 0007). */
  aborted_in: z.string().nullable().default(null),
});
export type RunRow = z.output<typeof runRow>;

export const eventRow = z.object({
  seq: z.number(),
  run_id: z.string(),
  step: z.string().nullable(),
  type: z.string(),
  actor: z.string().nullable(),
  from_state: z.string().nullable(),
  to_state: z.string().nullable(),
  data_json: json,
  at: z.number(),
});
export type EventRow = z.output<typeof eventRow>;

export const gateRow = z.object({
  id: z.string(),
  run_id: z.string(),
  kind: z.enum(GATE_KINDS),
  seq: z.number(),
  event_type: z.string(),
  status: z.enum(GATE_STATUSES),
  approvers_json: json.pipe(z.array(z.string())),
  shown_json: json,
  shown_hash: z.string(),
  opened_at: z.number(),
  deadline_at: z.number(),
  decided_at: z.number().nullable(),
  decided_by: z.string().nullable(),
  reason: z.string().nullable(),
  delivered_at: z.number().nullable(),
  /** How many different people must approve (migration 0004; 2 only for a `dns` gate that asks for it). */
  required_approvals: z.number().int().min(1),
  /** When the temporary account was claimed before this claim gate was approved (migration 0005). */
  claimed_before_approval_at: z.number().nullable().default(null),
});
export type GateRow = z.output<typeof gateRow>;

export const signoffRow = z.object({
  id: z.string(),
  kind: z.string(),
  api_base: z.string(),
  terms_url: z.string(),
  privacy_url: z.string(),
  signed_by: z.string(),
  signed_at: z.number(),
  automatic: z.number().transform((n) => n === 1),
  note: z.string().nullable(),
});
export type SignoffRow = z.output<typeof signoffRow>;

export function parseRows<T extends z.ZodType>(schema: T, rows: unknown[]): z.output<T>[] {
  return rows.map((row) => schema.parse(row));
}
