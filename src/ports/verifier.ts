/**
 * The Verifier port: HTTP probes against the live deployment and commands in
 * the Sandbox. The report is structured: each check passed or not, with what
 * was expected and what came back.
 */
import type { IdempotencyKey } from "./vocabulary.ts";
import { z } from "zod";
import type { CommandCheck, Probe } from "../jobs/schema.ts";
import type { Sandbox } from "./sandbox.ts";

export const checkSchema = z.object({
  name: z.string(),
  kind: z.enum(["probe", "command"]),
  passed: z.boolean(),
  expected: z.string(),
  actual: z.string(),
  excerpt: z.string(),
  durationMs: z.number(),
});
export type Check = z.infer<typeof checkSchema>;

export const verifyReportSchema = z.object({
  passed: z.boolean(),
  url: z.string(),
  checks: z.array(checkSchema),
});
export type VerifyReport = z.infer<typeof verifyReportSchema>;

export interface VerifyRequest {
  idempotencyKey: IdempotencyKey;
  runId: string;
  url: string;
  probes: readonly Probe[];
  commands: readonly CommandCheck[];
  sandbox: Sandbox;
}

export interface Verifier {
  verify(request: VerifyRequest): Promise<VerifyReport>;
}
